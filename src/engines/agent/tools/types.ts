import type { JsonValue } from "../../../domain/json.js";

/** JSON parameters a tool is called with. */
export type ToolParameters = { [name: string]: JsonValue };

/**
 * A tool the agent can call: the fields of the spec's `ToolInstance`/`ToolVersionInstance` that
 * matter at run time (id, name, description, version, input schema), plus how it runs.
 */
export interface ToolDefinition {
  /** 24 hex digits: the `tool_id` context graph states name it by. */
  id: string;
  /** Lower-case name (`[a-z0-9_]+`), shown to a language model. */
  name: string;
  description: string;
  /** Semantic version, e.g. `1.0.0` (reported as `tool_version` in the tool events). */
  version: string;
  /** JSON Schema of the parameters object (`type: "object"`, `properties`, `required`). */
  inputSchema: {
    type: "object";
    properties: { [name: string]: { [key: string]: JsonValue } };
    required?: string[];
  };
  /** Longest a call may take before it fails with `timeout`. */
  timeoutMs: number;
  /**
   * Runs the tool. Rejects on failure (a `ToolFailure` to say why). `signal` aborts at the timeout
   * only: once sent, a call is not cancelled by the user leaving (it may have side effects).
   */
  invoke(parameters: ToolParameters, options: { signal: AbortSignal }): Promise<JsonValue>;
}

/** Why a tool call failed; the code goes into the `tool-call-ended` result as `{"error":{code,message}}`. */
export type ToolFailureCode =
  | "unknown_tool"
  | "version_mismatch"
  | "invalid_parameters"
  | "timeout"
  | "unreachable"
  | "http_error"
  | "invalid_result"
  | "result_too_long";

export class ToolFailure extends Error {
  constructor(
    readonly code: ToolFailureCode,
    message: string,
  ) {
    super(message);
    this.name = "ToolFailure";
  }
}
