import type { JsonValue } from "../../../domain/json.js";
import type { AgentConversationState } from "../types.js";
import type { RememberedToolResult } from "./strategy.js";

/** Persisted tool results kept per conversation (the most recent). */
export const MAX_REMEMBERED_TOOL_RESULTS = 5;

/** The navigation state the shared walker keeps per conversation (stored as the agent state). */
export interface WalkerState {
  current_state: string;
  slots: { [name: string]: string };
  turns: number;
  /** Results of tool calls whose spec lets them persist, oldest first. */
  tool_results: RememberedToolResult[];
}

/** Reads a stored agent state; null when there is none (the conversation's first turn). */
export function readWalkerState(state: AgentConversationState | null): WalkerState | null {
  if (state === null || typeof state.current_state !== "string") return null;
  const slots = (state.slots ?? {}) as { [name: string]: string };
  const remembered = Array.isArray(state.tool_results) ? state.tool_results : [];
  return {
    current_state: state.current_state,
    slots: { ...slots },
    turns: Number(state.turns ?? 0),
    tool_results: remembered.flatMap((entry: JsonValue) => {
      const e = entry as { toolName?: unknown; result?: unknown } | null;
      return typeof e?.toolName === "string" && typeof e.result === "string"
        ? [{ toolName: e.toolName, result: e.result }]
        : [];
    }),
  };
}

export function writeWalkerState(state: WalkerState): AgentConversationState {
  return {
    current_state: state.current_state,
    slots: { ...state.slots },
    turns: state.turns,
    tool_results: state.tool_results.map((r) => ({ toolName: r.toolName, result: r.result })),
  };
}
