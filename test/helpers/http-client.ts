import http from "node:http";
/** Small fetch helpers for the end-to-end tests. */
export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

export async function call<T = unknown>(
  url: string,
  token: string | undefined,
  init: { method?: string; json?: unknown; form?: FormData; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let body: string | FormData | undefined;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    body = init.form;
  }
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

export type StreamEvent = { type: string; [field: string]: unknown };

/** The events of an NDJSON body. */
export function parseNdjson(raw: string): StreamEvent[] {
  return raw
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as StreamEvent);
}

/** Reads a streamed conversation response to its end and parses its events. */
export async function readEvents(response: Response): Promise<StreamEvent[]> {
  return parseNdjson(await response.text());
}

/** Reads an NDJSON response into its events. */
export async function callStream(
  url: string,
  token: string,
  init: { json?: unknown; form?: FormData } = {},
): Promise<{ status: number; events: StreamEvent[]; contentType: string | null; raw: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body: string | FormData | undefined;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    body = init.form;
  }
  const response = await fetch(url, { method: "POST", headers, ...(body === undefined ? {} : { body }) });
  const raw = await response.text();
  const contentType = response.headers.get("content-type");
  const events = contentType?.includes("ndjson") ? parseNdjson(raw) : [];
  return { status: response.status, events, contentType, raw };
}

export function textMessage(text: string): FormData {
  const form = new FormData();
  form.set("initial_message_type", "user-message");
  form.set("recorded_message", text);
  return form;
}

/**
 * POSTs `chunks` on a connection of its own (no pooling) and resolves with the response status as soon
 * as it arrives. With `leaveOpen` the body is never finished (a stalled upload).
 */
export function postOnOwnConnection(
  url: string,
  headers: Record<string, string>,
  chunks: Uint8Array[],
  options: { leaveOpen?: boolean } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers, agent: false }, (response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      request.destroy();
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      // The server may answer and close before the whole body was sent.
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (const chunk of chunks) request.write(chunk);
    if (options.leaveOpen !== true) request.end();
  });
}
