import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import type { AgentEngine, AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";
import { heldGate } from "./held-gate.js";

/** How one turn of the agent ended: with its `done`, or with what it threw (an abort's reason). */
export type TurnEnding = { completed: true } | { completed: false; error: unknown };

/** The rules agent with knobs for failure-path tests and probes that tell where its turns are. */
export interface ProbedAgent extends AgentEngine {
  /** Lets the held turn go on; does nothing while no turn is held. */
  release(): void;
  /** Resolves once a turn is held before its first reply piece (at once if one is held now). */
  whenHeld(): Promise<void>;
  /** Resolves with how the next turn to end ends (a turn that is still running counts). */
  nextTurnEnding(): Promise<TurnEnding>;
}

/**
 * The rules agent, driven by words in the user's message: `failAfterFirstPiece` makes it throw after
 * the first reply piece; `holdBeforeReply` makes it wait before the first reply piece until `release()`
 * is called or the turn is aborted (then it throws the abort's reason, also when the signal was aborted
 * before the wait began). Tests wait on `whenHeld()` and `nextTurnEnding()` instead of sleeping.
 */
export function probedAgent(): ProbedAgent {
  const rules = createRulesAgentEngine();
  const gate = heldGate();
  let endingWaiters: ((ending: TurnEnding) => void)[] = [];

  const announceEnding = (ending: TurnEnding) => {
    const waiters = endingWaiters;
    endingWaiters = [];
    for (const waiter of waiters) waiter(ending);
  };

  return {
    name: "probed",
    capabilities: rules.capabilities,
    expectedUserReplies: (graph, state) => rules.expectedUserReplies(graph, state),
    release: gate.release,
    whenHeld: gate.whenHeld,
    nextTurnEnding() {
      return new Promise<TurnEnding>((resolve) => endingWaiters.push(resolve));
    },
    async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
      const text = input.userMessage?.text ?? "";
      let pieces = 0;
      let ending: TurnEnding = { completed: false, error: new Error("the caller stopped reading the turn") };
      try {
        for await (const event of rules.runTurn(input, options)) {
          if (event.kind === "text-delta" && text.includes("holdBeforeReply") && pieces === 0) {
            await gate.hold(options.signal);
          }
          if (event.kind === "done") ending = { completed: true };
          yield event;
          if (event.kind === "text-delta") {
            pieces += 1;
            if (text.includes("failAfterFirstPiece")) throw new Error("agent crashed mid-reply");
          }
        }
      } catch (error) {
        ending = { completed: false, error };
        throw error;
      } finally {
        announceEnding(ending);
      }
    },
  };
}
