import { AppError } from "../lib/app-error.js";
import { isRetryableStatus, retryDelayMs, sleep } from "./agent/llm/retry.js";

/** Where an OpenAI-compatible server lives and how patient to be with it. */
export interface OpenAiEndpoint {
  /** Base URL including `/v1`, without a trailing slash needed. */
  baseUrl: string;
  apiKey: string | undefined;
  /** Longest wait for response headers, and (for streams) between two chunks. */
  timeoutMs: number;
  /** Further attempts after a 429/408/5xx answer or a failed connection. */
  maxRetries: number;
  /** The setting that names this server, for error messages (e.g. `OPENAI_BASE_URL`). */
  setting: string;
}

/**
 * The endpoint of an `openai` speech engine (`STT` or `TTS`) from its settings; throws at startup when
 * its base URL is missing or is not an http(s) URL.
 */
export function openAiSpeechEndpoint(
  kind: "STT" | "TTS",
  settings: {
    baseUrl: string | undefined;
    apiKey: string | undefined;
    timeoutMs: number;
    maxRetries: number;
  },
): OpenAiEndpoint {
  const setting = `PARLEY_${kind}_BASE_URL`;
  if (settings.baseUrl === undefined) {
    throw new Error(`PARLEY_${kind}_ENGINE="openai" needs ${setting} (or OPENAI_BASE_URL)`);
  }
  if (!/^https?:\/\//.test(settings.baseUrl)) {
    throw new Error(`${setting}="${settings.baseUrl}" must start with http:// or https://`);
  }
  return { ...settings, baseUrl: settings.baseUrl, setting };
}

/** A response whose headers arrived; `body` reads with the idle timeout, `done` releases the timer. */
export interface OpenAiResponse {
  response: Response;
  /** Reads the body as chunks, failing when no chunk arrives for `timeoutMs`. */
  chunks(): AsyncGenerator<Uint8Array>;
  text(): Promise<string>;
}

function unavailable(endpoint: OpenAiEndpoint, what: string, cause?: unknown): AppError {
  return new AppError("service_unavailable", `${what} (${endpoint.setting}=${endpoint.baseUrl})`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * POSTs to an OpenAI-compatible endpoint with retries: 429, 408 and 5xx answers and failed
 * connections are tried again up to `maxRetries` times, after the server's `Retry-After` or an
 * exponential backoff. Aborting `signal` (client gone, barge-in) aborts the HTTP request itself and
 * rejects with the signal's reason. Other failures reject with a `service_unavailable` AppError that
 * names the setting.
 */
export async function postOpenAi(
  endpoint: OpenAiEndpoint,
  path: string,
  body: string | FormData,
  signal: AbortSignal,
): Promise<OpenAiResponse> {
  const url = `${endpoint.baseUrl.replace(/\/+$/, "")}${path}`;
  for (let attempt = 0; ; attempt += 1) {
    signal.throwIfAborted();
    const attemptController = new AbortController();
    const timedOut = { value: false };
    let timer = setTimeout(() => {
      timedOut.value = true;
      attemptController.abort(new Error("timeout"));
    }, endpoint.timeoutMs);
    const restartTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut.value = true;
        attemptController.abort(new Error("timeout"));
      }, endpoint.timeoutMs);
    };
    const combined = AbortSignal.any([signal, attemptController.signal]);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          ...(typeof body === "string" ? { "content-type": "application/json" } : {}),
          ...(endpoint.apiKey === undefined ? {} : { authorization: `Bearer ${endpoint.apiKey}` }),
        },
        body,
        signal: combined,
      });
    } catch (error) {
      clearTimeout(timer);
      if (signal.aborted) throw signal.reason;
      const what = timedOut.value
        ? `${url} did not answer within ${endpoint.timeoutMs} ms`
        : `${url} cannot be reached: ${describe(error)}`;
      if (attempt < endpoint.maxRetries) {
        await sleep(retryDelayMs(attempt, null) ?? 0, signal);
        continue;
      }
      throw unavailable(endpoint, what, error);
    }
    if (!response.ok) {
      clearTimeout(timer);
      const detail = (await response.text().catch(() => "")).slice(0, 300);
      const delay = isRetryableStatus(response.status)
        ? retryDelayMs(attempt, response.headers.get("retry-after"))
        : undefined;
      if (delay !== undefined && attempt < endpoint.maxRetries) {
        await sleep(delay, signal);
        continue;
      }
      throw unavailable(endpoint, `${url} answered HTTP ${response.status}: ${detail}`);
    }
    const chunks = async function* (): AsyncGenerator<Uint8Array> {
      const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
      if (reader === undefined) return;
      try {
        for (;;) {
          restartTimer();
          let next: Awaited<ReturnType<typeof reader.read>>;
          try {
            next = await reader.read();
          } catch (error) {
            if (signal.aborted) throw signal.reason;
            throw unavailable(
              endpoint,
              timedOut.value
                ? `${url} sent nothing for ${endpoint.timeoutMs} ms`
                : `${url} broke off its answer: ${describe(error)}`,
              error,
            );
          }
          if (next.done) return;
          yield next.value;
        }
      } finally {
        clearTimeout(timer);
        // Stops the download when the reader leaves early (abort, or enough read).
        attemptController.abort(new Error("done"));
      }
    };
    return {
      response,
      chunks,
      async text() {
        const parts: Uint8Array[] = [];
        for await (const chunk of chunks()) parts.push(chunk);
        return Buffer.concat(parts).toString("utf8");
      },
    };
  }
}

/** The `data:` payloads of a server-sent event stream, until `[DONE]`. */
export async function* serverSentData(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of chunks) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
      if (line.startsWith("data:")) {
        const data = line.slice(5).trim();
        if (data === "[DONE]") return;
        if (data !== "") yield data;
      }
      newline = buffered.indexOf("\n");
    }
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
