import http from "node:http";
import type { AddressInfo } from "node:net";
import { classifyExitCondition, isFarewell } from "../../src/engines/agent/rules/intent-classifier.js";

/** A request the server received: path, headers and parsed JSON body (multipart bodies as raw bytes). */
export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  json: { [key: string]: unknown } | undefined;
  raw: Buffer;
}

/** What the server does with the next chat request before answering normally. */
export type Mishap =
  | { kind: "none" }
  | { kind: "status"; status: number; retryAfter?: string }
  | { kind: "slow-headers"; delayMs: number }
  | { kind: "stall-mid-stream"; afterChunks: number }
  | { kind: "error-mid-stream"; afterChunks: number }
  | { kind: "invalid-choice" };

type Schema = { [key: string]: unknown };

export interface OpenAiCompatibleServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Chat requests the client closed before their answer ended (cancellation reached the server). */
  abortedRequests: number;
  /** Mishaps applied to the next chat requests, in order. */
  mishaps: Mishap[];
  /** The reply streamed for free-text requests. */
  reply: string;
  /** Pause between streamed chunks. */
  chunkDelayMs: number;
  /** Handlers for other paths (the speech endpoints). */
  routes: Map<string, (request: ReceivedRequest, response: http.ServerResponse) => void | Promise<void>>;
  /** Resolves when the server has received `count` requests in all. */
  whenRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local server speaking the OpenAI chat completions wire format (as documented: server-sent
 * `chat.completion.chunk` events ending in `[DONE]`, `response_format: json_schema`, `tools` with
 * `tool_choice`, error statuses with `Retry-After`) with a stand-in model: replies are `reply`, split
 * into word chunks; a choice among an `enum` is made by the rules intent classifier on the last user
 * line of the prompt; other structured answers take each property from the conversation when named
 * in it, else leave it out.
 */
export async function startOpenAiCompatibleServer(): Promise<OpenAiCompatibleServer> {
  const waiters: { count: number; resolve: () => void }[] = [];
  const state: OpenAiCompatibleServer = {
    baseUrl: "",
    requests: [],
    abortedRequests: 0,
    mishaps: [],
    reply: "Hello, this is Ada at the clinic. How can I help you today?",
    chunkDelayMs: 0,
    routes: new Map(),
    whenRequests(count) {
      if (state.requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => Promise.resolve(),
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      let json: { [key: string]: unknown } | undefined;
      if ((request.headers["content-type"] ?? "").includes("json")) {
        json = JSON.parse(raw.toString("utf8")) as { [key: string]: unknown };
      }
      const received: ReceivedRequest = { path: request.url ?? "", headers: request.headers, json, raw };
      state.requests.push(received);
      for (const waiter of waiters.filter((w) => state.requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const route = state.routes.get(received.path);
      const handled = route !== undefined ? route(received, response) : chat(received, response);
      Promise.resolve(handled).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });

  const chat = async (request: ReceivedRequest, response: http.ServerResponse) => {
    if (request.path !== "/v1/chat/completions" || request.json === undefined) {
      response.writeHead(404).end();
      return;
    }
    let finished = false;
    response.on("close", () => {
      if (!finished) state.abortedRequests += 1;
    });
    const mishap = state.mishaps.shift();
    if (mishap?.kind === "status") {
      response.writeHead(mishap.status, {
        "content-type": "application/json",
        ...(mishap.retryAfter === undefined ? {} : { "retry-after": mishap.retryAfter }),
      });
      finished = true;
      response.end(JSON.stringify({ error: { message: `status ${mishap.status}`, type: "server_error" } }));
      return;
    }
    if (mishap?.kind === "slow-headers") await pause(mishap.delayMs);
    const body = request.json;
    const schema = structuredSchema(body);
    if (schema !== undefined) {
      const value =
        mishap?.kind === "invalid-choice" ? { exit: "something not offered" } : decide(schema.schema, body);
      const message =
        schema.mode === "tool"
          ? {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: "call_1",
                  type: "function",
                  function: { name: schema.name, arguments: JSON.stringify(value) },
                },
              ],
            }
          : { role: "assistant", content: JSON.stringify(value) };
      response.writeHead(200, { "content-type": "application/json" });
      finished = true;
      response.end(
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          model: body.model,
          choices: [{ index: 0, message, finish_reason: schema.mode === "tool" ? "tool_calls" : "stop" }],
        }),
      );
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const words = state.reply.split(/(?<= )/);
    for (const [i, word] of words.entries()) {
      if (mishap?.kind === "stall-mid-stream" && i === mishap.afterChunks) return; // never ends
      if (mishap?.kind === "error-mid-stream" && i === mishap.afterChunks) {
        response.write(`data: ${JSON.stringify({ error: { message: "the model crashed" } })}\n\n`);
        finished = true;
        response.end();
        return;
      }
      if (response.destroyed) return;
      response.write(
        `data: ${JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          model: body.model,
          choices: [
            {
              index: 0,
              delta: i === 0 ? { role: "assistant", content: word } : { content: word },
              finish_reason: null,
            },
          ],
        })}\n\n`,
      );
      if (state.chunkDelayMs > 0) await pause(state.chunkDelayMs);
    }
    response.write(
      `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
    );
    response.write("data: [DONE]\n\n");
    finished = true;
    response.end();
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function structuredSchema(body: {
  [key: string]: unknown;
}): { mode: "json" | "tool"; name: string; schema: Schema } | undefined {
  const format = body.response_format as
    { type?: string; json_schema?: { name: string; schema: Schema } } | undefined;
  if (format?.type === "json_schema" && format.json_schema !== undefined) {
    return { mode: "json", name: format.json_schema.name, schema: format.json_schema.schema };
  }
  const tools = body.tools as { function: { name: string; parameters: Schema } }[] | undefined;
  const choice = body.tool_choice as { function?: { name?: string } } | undefined;
  const tool = tools?.find((t) => t.function.name === choice?.function?.name);
  return tool === undefined
    ? undefined
    : { mode: "tool", name: tool.function.name, schema: tool.function.parameters };
}

/** The stand-in model's structured answer. */
function decide(schema: Schema, body: { [key: string]: unknown }): unknown {
  const messages = body.messages as { role: string; content: string }[];
  const prompt = messages.map((m) => m.content).join("\n");
  const lastUser = [...prompt.matchAll(/^User: (.*)$/gm)].at(-1)?.[1] ?? "";
  const properties = (schema.properties ?? {}) as { [name: string]: Schema };
  const exit = properties.exit?.enum as string[] | undefined;
  if (exit !== undefined) {
    const none = exit.find((o) => o === "none of these");
    const farewell = exit.find((o) => /says goodbye/.test(o));
    if (farewell !== undefined && isFarewell(lastUser)) return { exit: farewell };
    const offered = exit.filter((o) => o !== none && o !== farewell);
    const match = classifyExitCondition(lastUser, offered);
    return { exit: match === undefined ? (none ?? offered[0]) : offered[match.index] };
  }
  if (properties.call !== undefined) return { call: false, parameters: {} };
  const value: { [name: string]: unknown } = {};
  for (const [name, property] of Object.entries(properties)) {
    if (name === "timezone" && property.type === "string") value[name] = "UTC";
  }
  return value;
}
