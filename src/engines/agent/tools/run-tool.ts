import type { ToolCallSpec } from "../../../domain/context-graph.js";
import type { JsonValue } from "../../../domain/json.js";
import type { ToolRegistry } from "./registry.js";
import { ToolFailure, type ToolParameters } from "./types.js";
import { satisfiesVersionConstraint } from "./version-constraint.js";

/** Longest tool result that may persist into later turns (the spec's 5,000 characters). */
export const MAX_PERSISTED_RESULT_CHARS = 5000;

/** What became of one tool call. */
export interface ToolOutcome {
  toolId: string;
  toolName: string;
  /** The registered version, or the spec's constraint when the tool is unknown. */
  toolVersion: string;
  parameters: ToolParameters;
  /**
   * The result as the `tool-call-ended` event carries it: the tool's JSON answer serialized, or for a
   * failure `{"error":{"code":…,"message":…}}`.
   */
  result: string;
  /** The parsed answer (undefined after a failure). */
  value: JsonValue | undefined;
  failure: { code: string; message: string } | undefined;
  durationSeconds: number;
  /** True when later turns may see the result (per the spec's `result_persistence`). */
  persist: boolean;
}

/**
 * Calls the tool a spec names with the given parameters. A tool failure (unknown tool, version
 * mismatch, bad parameters, timeout, HTTP error, bad answer) is an outcome, not an exception: the
 * conversation goes on and the failure is reported in `tool-call-ended`. Aborting `signal` (the user
 * left or barged in) stops the wait and rejects with its reason; the call itself runs to its own
 * timeout, because a sent call may have side effects.
 */
export async function runTool(
  registry: ToolRegistry,
  spec: ToolCallSpec,
  parameters: ToolParameters,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  const startedAt = performance.now();
  const tool = registry.get(spec.tool_id);
  const base = {
    toolId: spec.tool_id,
    toolName: tool?.name ?? spec.tool_id,
    toolVersion: tool?.version ?? spec.version_constraint,
    parameters,
  };
  const failed = (error: ToolFailure): ToolOutcome => ({
    ...base,
    result: JSON.stringify({ error: { code: error.code, message: error.message } }),
    value: undefined,
    failure: { code: error.code, message: error.message },
    durationSeconds: (performance.now() - startedAt) / 1000,
    persist: false,
  });
  signal.throwIfAborted();
  if (tool === undefined)
    return failed(new ToolFailure("unknown_tool", `no tool is registered as ${spec.tool_id}`));
  if (!satisfiesVersionConstraint(tool.version, spec.version_constraint)) {
    return failed(
      new ToolFailure(
        "version_mismatch",
        `${tool.name} ${tool.version} does not satisfy "${spec.version_constraint}"`,
      ),
    );
  }
  try {
    registry.checkParameters(tool.id, parameters);
  } catch (error) {
    if (error instanceof ToolFailure) return failed(error);
    throw error;
  }
  const timeout = AbortSignal.timeout(tool.timeoutMs);
  const call = tool.invoke(parameters, { signal: timeout }).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const settled = await abortable(call, signal);
  if ("error" in settled) {
    const error = settled.error;
    if (timeout.aborted) {
      return failed(new ToolFailure("timeout", `${tool.name} did not answer within ${tool.timeoutMs} ms`));
    }
    if (error instanceof ToolFailure) return failed(error);
    return failed(new ToolFailure("unreachable", error instanceof Error ? error.message : String(error)));
  }
  const result = JSON.stringify(settled.value) ?? "null";
  const persistence = spec.result_persistence ?? "ephemeral";
  if (persistence === "persisted" && result.length > MAX_PERSISTED_RESULT_CHARS) {
    return failed(
      new ToolFailure(
        "result_too_long",
        `the result has ${result.length} characters; persisted results allow ${MAX_PERSISTED_RESULT_CHARS}`,
      ),
    );
  }
  return {
    ...base,
    result,
    value: settled.value,
    failure: undefined,
    durationSeconds: (performance.now() - startedAt) / 1000,
    persist: persistence !== "ephemeral" && result.length <= MAX_PERSISTED_RESULT_CHARS,
  };
}

/** Waits for `work` unless `signal` aborts first (then rejects with its reason; `work` runs on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    void work.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });
}
