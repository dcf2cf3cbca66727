import type { JsonValue } from "../../../domain/json.js";
import { ToolFailure, type ToolDefinition, type ToolParameters } from "./types.js";

/** Largest tool response body read; a longer one fails with `invalid_result`. */
const MAX_RESULT_BYTES = 256 * 1024;

/** Where an HTTP tool lives and what it says about itself (one entry of `PARLEY_TOOLS_FILE`). */
export interface HttpToolSettings {
  id: string;
  name: string;
  description: string;
  version: string;
  /** `http(s)://…`: the tool is called with `POST`, the parameters as the JSON body. */
  url: string;
  timeoutMs: number;
  inputSchema: ToolDefinition["inputSchema"];
  /** Extra request headers (for example an API key). */
  headers?: { [name: string]: string };
}

/**
 * A tool that is an HTTP endpoint: `POST url` with the parameters as a JSON object, answered `2xx`
 * with a JSON body that is the result. Failures: `timeout` (no answer within `timeoutMs`),
 * `unreachable` (connection failed), `http_error` (a non-2xx status), `invalid_result` (not JSON, or
 * larger than 256 KiB).
 */
export function httpTool(settings: HttpToolSettings): ToolDefinition {
  return {
    id: settings.id,
    name: settings.name,
    description: settings.description,
    version: settings.version,
    inputSchema: settings.inputSchema,
    timeoutMs: settings.timeoutMs,
    async invoke(parameters: ToolParameters, options: { signal: AbortSignal }): Promise<JsonValue> {
      let response: Response;
      try {
        response = await fetch(settings.url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", ...settings.headers },
          body: JSON.stringify(parameters),
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal.aborted) throw options.signal.reason;
        throw new ToolFailure("unreachable", `${settings.name}: ${describe(error)}`);
      }
      const body = await readLimited(response, options.signal);
      if (!response.ok) {
        throw new ToolFailure("http_error", `${settings.name} answered HTTP ${response.status}`);
      }
      try {
        return JSON.parse(body) as JsonValue;
      } catch {
        throw new ToolFailure("invalid_result", `${settings.name} did not answer JSON`);
      }
    },
  };
}

async function readLimited(response: Response, signal: AbortSignal): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_RESULT_BYTES) {
        await reader.cancel();
        throw new ToolFailure("invalid_result", `the answer is larger than ${MAX_RESULT_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ToolFailure) throw error;
    if (signal.aborted) throw signal.reason;
    throw new ToolFailure("unreachable", `the answer broke off: ${describe(error)}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
