/** The page's client of Parley's HTTP API (same origin): sign-in, services, conversations, NDJSON turns. */

/** What the sign-in form holds. */
export interface Credentials {
  organizationId: string;
  userId: string;
  apiKeyId: string;
  apiKey: string;
}

/** An HTTP answer other than the one expected, with the server's `detail`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type StreamEvent = { type: string; [field: string]: unknown };

async function failure(response: Response): Promise<ApiError> {
  let detail = response.statusText;
  try {
    const body = (await response.json()) as { detail?: unknown };
    detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch {
    // Not JSON: the status text says enough.
  }
  return new ApiError(response.status, `${response.status}: ${detail}`);
}

/** Signed-in API access; the id token is renewed five minutes before it expires. */
export class Api {
  private token = "";
  private expiresAtMs = 0;

  constructor(readonly credentials: Credentials) {}

  get organizationId(): string {
    return this.credentials.organizationId;
  }

  private base(): string {
    return `/v1/${encodeURIComponent(this.credentials.organizationId)}`;
  }

  async signIn(): Promise<void> {
    const response = await fetch(`${this.base()}/user/signin_with_api_key`, {
      method: "POST",
      headers: {
        "x-api-key": this.credentials.apiKey,
        "x-api-key-id": this.credentials.apiKeyId,
        "x-user-id": this.credentials.userId,
      },
    });
    if (!response.ok) throw await failure(response);
    const body = (await response.json()) as { id_token: string; expires_at: string };
    this.token = body.id_token;
    this.expiresAtMs = Date.parse(body.expires_at);
  }

  /** A valid id token (signs in again when the current one is about to expire). */
  async idToken(): Promise<string> {
    if (Date.now() > this.expiresAtMs - 5 * 60_000) await this.signIn();
    return this.token;
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${await this.idToken()}`);
    const response = await fetch(`${this.base()}${path}`, { ...init, headers });
    if (!response.ok) throw await failure(response);
    return response;
  }

  async json<T>(path: string): Promise<T> {
    return (await (await this.request(path)).json()) as T;
  }

  async services(): Promise<{ id: string; name: string }[]> {
    const body = await this.json<{ services: { id: string; name: string }[] }>("/service/?is_active=true");
    return body.services;
  }

  async conversations(serviceId: string): Promise<ConversationSummary[]> {
    const body = await this.json<{ conversations: ConversationSummary[] }>(
      `/conversation/?service_id=${encodeURIComponent(serviceId)}&limit=20&sort_by=-created_at`,
    );
    return body.conversations;
  }

  async messages(conversationId: string): Promise<StoredMessage[]> {
    const body = await this.json<{ messages: StoredMessage[] }>(
      `/conversation/${conversationId}/messages/?limit=100`,
    );
    return body.messages;
  }

  /** The recording of a voice message, as a blob for an `<audio>` element. */
  async messageAudio(conversationId: string, messageId: string): Promise<Blob> {
    return (await this.request(`/conversation/${conversationId}/messages/${messageId}/source`)).blob();
  }

  async finish(conversationId: string): Promise<void> {
    await this.request(`/conversation/${conversationId}/finish/`, { method: "POST" });
  }

  /** Creates a conversation; the greeting streams to `onEvent` (voice pieces as WAV). */
  async create(serviceId: string, onEvent: (event: StreamEvent) => void): Promise<void> {
    const response = await this.request("/conversation/?response_format=voice&include_latency_report=true", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "audio/wav" },
      body: JSON.stringify({ service_id: serviceId, service_version_set_name: "release" }),
    });
    await readNdjson(response, onEvent);
  }

  /** One interaction: a typed message or a recorded voice note; the spoken reply streams to `onEvent`. */
  async interact(
    conversationId: string,
    input: { text: string } | { recording: Blob },
    onEvent: (event: StreamEvent) => void,
  ): Promise<void> {
    const format = "text" in input ? "text" : "voice";
    const query = `request_format=${format}&response_format=voice&include_latency_report=true`;
    let init: RequestInit;
    if ("text" in input) {
      const form = new FormData();
      form.set("initial_message_type", "user-message");
      form.set("recorded_message", input.text);
      init = { method: "POST", headers: { accept: "audio/wav" }, body: form };
    } else {
      init = {
        method: "POST",
        headers: { accept: "audio/wav", "content-type": "audio/wav" },
        body: input.recording,
      };
    }
    const response = await this.request(`/conversation/${conversationId}/interact?${query}`, init);
    await readNdjson(response, onEvent);
  }
}

export interface ConversationSummary {
  id: string;
  created_at: string;
  is_finished: boolean;
  service_id?: string;
}

export interface StoredMessage {
  id: string;
  interaction_id: string;
  created_at: string;
  sender: string;
  message: string;
  format: "text" | "voice";
  message_type: string;
}

/** Reads an NDJSON body line by line; an in-band `error` event becomes an {@link ApiError}. */
async function readNdjson(response: Response, onEvent: (event: StreamEvent) => void): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== "") {
        const event = JSON.parse(line) as StreamEvent;
        if (event.type === "error") {
          throw new ApiError(Number(event.http_error_code), `${String(event.error_description)}`);
        }
        onEvent(event);
      }
      newline = pending.indexOf("\n");
    }
  }
}
