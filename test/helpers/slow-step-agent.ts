import { setTimeout } from "node:timers/promises";
import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import type { AgentEngine, AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";
import { heldGate } from "./held-gate.js";

/** The step the slow agent announces, as the spec's tool-call action. */
export const SLOW_STEP_STARTED = {
  type: "tool-call-started",
  tool_round_index: 0,
  tool_id: "check-slots",
  tool_version: "1",
  input_params: {},
};

/** The slow step's authored fillers and trigger (seconds). */
export const SLOW_STEP_FILLERS = ["Let me check the calendar.", "One moment please."];
export const SLOW_STEP_TRIGGER_S = 0.3;

/** The rules agent with a step that stays running until the test lets it go. */
export interface SlowStepAgent extends AgentEngine {
  /** Ends the held step (the turn then answers); does nothing while no step is held. */
  release(): void;
  /** Resolves once a step is held (at once if one is held now). */
  whenHeld(): Promise<void>;
}

/**
 * The rules agent, preceded in every turn whose user message contains `slowStep` by a step
 * (`tool-call-started`, with authored fillers after 0.3 s) that runs until `release()` or the turn's
 * abort; `slowStepFor800ms` holds it 800 ms (a slow tool, for tests that cannot see the filler);
 * with `fastStep` the same step ends at once. Tests release the step when they have seen what they wait
 * for (a filler), so they do not sleep.
 */
export function slowStepAgent(): SlowStepAgent {
  const rules = createRulesAgentEngine();
  const gate = heldGate();

  return {
    name: "slow-step",
    capabilities: rules.capabilities,
    expectedUserReplies: (graph, state) => rules.expectedUserReplies(graph, state),
    release: gate.release,
    whenHeld: gate.whenHeld,
    async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
      const text = input.userMessage?.text ?? "";
      if (text.includes("slowStep") || text.includes("fastStep")) {
        const heldForMs = /slowStepFor(\d+)ms/.exec(text)?.[1];
        yield { kind: "action", action: SLOW_STEP_STARTED };
        yield {
          kind: "step-started",
          stepId: "check-slots:1",
          startedEvent: SLOW_STEP_STARTED,
          fillers: SLOW_STEP_FILLERS,
          fillerTriggeredAfterSeconds: SLOW_STEP_TRIGGER_S,
        };
        if (heldForMs !== undefined)
          await setTimeout(Number(heldForMs), undefined, { signal: options.signal });
        else if (text.includes("slowStep")) await gate.hold(options.signal);
        yield { kind: "step-ended", stepId: "check-slots:1" };
      }
      yield* rules.runTurn(input, options);
    },
  };
}
