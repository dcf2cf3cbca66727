import { CliError, EXIT, unreachable } from "./cli-error.js";
import type { ClientCredentials } from "./client-options.js";

/** One line of an NDJSON turn stream. */
export type StreamEvent = { type: string; [field: string]: unknown };

/** The HTTP API as the command-line client uses it: sign-in, conversations, streamed turns. */
export class ApiClient {
  private token = "";

  constructor(readonly credentials: ClientCredentials) {}

  private url(path: string): string {
    return `${this.credentials.baseUrl}/v1/${encodeURIComponent(this.credentials.organizationId)}${path}`;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.url(path), init);
    } catch (error) {
      throw unreachable(this.credentials.baseUrl, error);
    }
    if (response.ok) return response;
    const detail = await response.text().then(
      (text) => {
        try {
          const body = JSON.parse(text) as { detail?: unknown };
          return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
        } catch {
          return text.slice(0, 200);
        }
      },
      () => response.statusText,
    );
    if (response.status === 415) {
      throw new CliError(EXIT.unsupportedAudio, `The server cannot decode this audio (415): ${detail}`);
    }
    throw new CliError(EXIT.failure, `The server answered ${response.status}: ${detail}`);
  }

  /** Signs in with the API key; a refusal is an authentication error (exit 4). */
  async signIn(): Promise<string> {
    try {
      const response = await this.send("/user/signin_with_api_key", {
        method: "POST",
        headers: {
          "x-api-key": this.credentials.apiKey,
          "x-api-key-id": this.credentials.apiKeyId,
          "x-user-id": this.credentials.userId,
        },
      });
      this.token = ((await response.json()) as { id_token: string }).id_token;
      return this.token;
    } catch (error) {
      if (
        error instanceof CliError &&
        error.exitCode === EXIT.failure &&
        /answered 40[134]/.test(error.message)
      ) {
        throw new CliError(
          EXIT.authentication,
          `Sign-in refused (${error.message.replace(/^The server answered /, "")}). Check the organization, ` +
            "user id, API key id and key (`npm run bootstrap` issues a new key for the demo).",
        );
      }
      throw error;
    }
  }

  /** An authenticated request (after {@link signIn}). */
  request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.token}`);
    return this.send(path, { ...init, headers });
  }

  /**
   * The conversation to talk in: `--conversation`, else the user's open conversation with the service,
   * else a new one (its greeting goes to `onGreeting`).
   */
  async conversation(
    requested: string | undefined,
    onGreeting: (event: StreamEvent) => void,
  ): Promise<string> {
    if (requested !== undefined) return requested;
    const service = encodeURIComponent(this.credentials.serviceId);
    const list = (await (
      await this.request(`/conversation/?service_id=${service}&is_finished=false&limit=1`)
    ).json()) as { conversations: { id: string }[] };
    const open = list.conversations[0];
    if (open !== undefined) return open.id;
    let id: string | undefined;
    const response = await this.request("/conversation/?response_format=text", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service_id: this.credentials.serviceId, service_version_set_name: "release" }),
    });
    await readEvents(response, (event) => {
      if (event.type === "conversation-created") id = String(event.conversation_id);
      onGreeting(event);
    });
    if (id === undefined) throw new CliError(EXIT.failure, "The server did not create a conversation");
    return id;
  }
}

/** Reads an NDJSON body line by line; an in-band `error` event ends it with a {@link CliError}. */
export async function readEvents(response: Response, onEvent: (event: StreamEvent) => void): Promise<void> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let pending = "";
  const handle = (line: string) => {
    if (line.trim() === "") return;
    const event = JSON.parse(line) as StreamEvent;
    if (event.type === "error") {
      const status = Number(event.http_error_code);
      throw new CliError(
        status === 415 ? EXIT.unsupportedAudio : EXIT.failure,
        `The server reported an error (${status}): ${String(event.error_description)}`,
      );
    }
    onEvent(event);
  };
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      handle(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  handle(pending);
}
