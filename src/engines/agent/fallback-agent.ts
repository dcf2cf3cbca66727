import { FallbackPair } from "../fallback-pair.js";
import { isAppError } from "../../lib/app-error.js";
import type {
  AgentEngine,
  AgentEvent,
  AgentTurnInput,
  ContextGraph,
  AgentConversationState,
} from "./types.js";

/**
 * A configured agent with the offline one behind it (`PARLEY_AGENT_FALLBACK=true`): when the configured
 * agent fails at run time (its model server is down, times out, answers out of schema) before its reply
 * began, the same turn is answered by the fallback, from the same input. Steps the failed attempt left
 * open are ended first, so that no filler waits on them; the failed attempt's action events stay in the
 * stream (they happened). A client mistake (any AppError other than `service_unavailable`), an abort,
 * or a failure after reply text was sent is not retried. The `done` names the fallback in `answeredBy`.
 */
export class FallbackAgentEngine extends FallbackPair<AgentEngine> implements AgentEngine {
  async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncGenerator<AgentEvent> {
    const open = new Set<string>();
    let replyStarted = false;
    try {
      for await (const event of this.primary.runTurn(input, options)) {
        if (event.kind === "step-started") open.add(event.stepId);
        if (event.kind === "step-ended") open.delete(event.stepId);
        if (event.kind === "text-delta") replyStarted = true;
        yield event;
      }
      return;
    } catch (error) {
      const clientMistake = isAppError(error) && error.code !== "service_unavailable";
      if (options.signal.aborted || replyStarted || clientMistake) throw error;
      this.warn(
        `agent ${this.primary.name} failed (${error instanceof Error ? error.message : String(error)}); ` +
          `agent ${this.fallback.name} answers this turn`,
      );
    }
    for (const stepId of open) yield { kind: "step-ended", stepId };
    for await (const event of this.fallback.runTurn(input, options)) {
      yield event.kind === "done" ? { ...event, answeredBy: this.fallback.name } : event;
    }
  }

  expectedUserReplies(graph: ContextGraph, state: AgentConversationState | null): string[] | null {
    return this.primary.expectedUserReplies?.(graph, state) ?? null;
  }
}
