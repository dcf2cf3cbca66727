import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import type { AgentEngine, AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";

/**
 * The rules agent with two knobs for failure-path tests: a user message containing `failAfterFirstPiece`
 * makes it throw after the first reply piece; one containing `holdBeforeReply` makes it wait until
 * `release()` is called (or the turn is aborted).
 */
export function controllableAgent(): AgentEngine & { release(): void } {
  const rules = createRulesAgentEngine();
  let releaseHold: () => void = () => {};
  let hold = new Promise<void>((resolve) => (releaseHold = resolve));
  return {
    name: "controllable",
    capabilities: rules.capabilities,
    expectedUserReplies: (graph, state) => rules.expectedUserReplies(graph, state),
    release() {
      releaseHold();
      hold = new Promise<void>((resolve) => (releaseHold = resolve));
    },
    async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
      const text = input.userMessage?.text ?? "";
      let pieces = 0;
      for await (const event of rules.runTurn(input, options)) {
        if (event.kind === "text-delta" && text.includes("holdBeforeReply") && pieces === 0) {
          await new Promise<void>((resolve, reject) => {
            void hold.then(resolve);
            options.signal.addEventListener("abort", () => reject(options.signal.reason as Error), {
              once: true,
            });
          });
        }
        yield event;
        if (event.kind === "text-delta") {
          pieces += 1;
          if (text.includes("failAfterFirstPiece")) throw new Error("agent crashed mid-reply");
        }
      }
    },
  };
}
