import { expect } from "vitest";
import { parseNdjson, type StreamEvent } from "../helpers/http-client.js";
import { expectEventsMatchSpec, expectOperationResponse } from "../helpers/spec-validator.js";

/** One request to an operation, as the conformance suite builds and varies it. */
export interface ApiCall {
  operationId: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The spec's path with its parameters filled in by name. */
  path: string;
  params: Record<string, string>;
  query?: Record<string, string | string[]>;
  token?: string | undefined;
  /** A JSON body (sent as `application/json`). */
  json?: unknown;
  /** Multipart fields (repeated for arrays). */
  form?: Record<string, string | string[]>;
  /** A raw body with its content type. */
  raw?: { contentType: string; body: string | Uint8Array };
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  /** The JSON body, or null when there was none. */
  body: unknown;
  /** The events of an NDJSON answer. */
  events: StreamEvent[];
}

/** The URL of `call` on `baseUrl`, its path parameters filled in and its query encoded. */
export function urlOf(baseUrl: string, call: ApiCall): string {
  const path = call.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(call.params[name] ?? ""),
  );
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(call.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, item);
  }
  const query = search.toString();
  return `${baseUrl}${path}${query === "" ? "" : `?${query}`}`;
}

/** Sends `call` and reads its answer whole. */
export async function send(baseUrl: string, call: ApiCall): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
  let body: string | FormData | Uint8Array | undefined;
  if (call.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(call.json);
  } else if (call.form !== undefined) {
    const form = new FormData();
    for (const [name, value] of Object.entries(call.form)) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
    }
    body = form;
  } else if (call.raw !== undefined) {
    headers["content-type"] = call.raw.contentType;
    body = call.raw.body;
  }
  const response = await fetch(urlOf(baseUrl, call), {
    method: call.method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  const contentType = response.headers.get("content-type") ?? "";
  if (contentType.includes("ndjson"))
    return { status: response.status, body: null, events: parseNdjson(text) };
  return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown), events: [] };
}

/**
 * Sends `call`, expects `status`, and checks the answer against the spec: the documented statuses, the
 * response schema (or the API's error body), and every event of a stream.
 */
export async function expectAnswer(
  baseUrl: string,
  call: ApiCall,
  status: number,
  options: { alsoAllowed?: number[] } = {},
): Promise<ApiAnswer> {
  const answer = await send(baseUrl, call);
  const described = `${call.method} ${urlOf("", call)} ${JSON.stringify(call.json ?? call.form ?? "").slice(0, 200)}`;
  expect(answer.status, `${described} → ${JSON.stringify(answer.body).slice(0, 400)}`).toBe(status);
  if (answer.events.length > 0) {
    expect(answer.events.at(-1)?.type, described).toBe("interaction-complete");
    expectEventsMatchSpec(answer.events);
  } else {
    expectOperationResponse(call.operationId, answer.status, answer.body, options);
  }
  return answer;
}

/** The `loc`s of a 422 body. */
export function issueLocations(body: unknown): string[] {
  const detail = (body as { detail?: { loc: (string | number)[] }[] }).detail ?? [];
  return detail.map((issue) => issue.loc.join("."));
}

/** Expects a 422 from `call` whose body names `location` (e.g. `body.tags`) or a place inside it. */
export async function expectInvalid(baseUrl: string, call: ApiCall, location: string): Promise<void> {
  const answer = await expectAnswer(baseUrl, call, 422);
  const locations = issueLocations(answer.body);
  expect(
    locations.some((loc) => loc === location || loc.startsWith(`${location}.`)),
    `${call.operationId}: expected an issue at ${location}, got ${locations.join(", ")}`,
  ).toBe(true);
}
