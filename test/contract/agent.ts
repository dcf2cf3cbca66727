import { describe, expect, it } from "vitest";
import { demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import type {
  AgentConversationState,
  AgentEngine,
  AgentEvent,
  AgentTurnInput,
} from "../../src/engines/agent/types.js";
import { expectSchemaMatch } from "../helpers/spec-validator.js";

export interface ContractOptions {
  skip?: { test: string; reason: string }[];
}

const graph = { id: "a".repeat(24), version: 1, body: demoGraphVersionBody };

function input(state: AgentConversationState | null, text: string | null): AgentTurnInput {
  return {
    conversationId: "c".repeat(24),
    persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
    graph,
    state,
    userMessage: text === null ? null : { kind: "user-message", text },
    isReturningUser: false,
    user: { firstName: "Sam", lastName: "Lee", timezone: "UTC", preferredLanguage: "eng" },
    now: new Date("2026-11-24T09:00:00Z"),
  };
}

async function collect(
  engine: AgentEngine,
  turnInput: AgentTurnInput,
  signal = new AbortController().signal,
) {
  const events: AgentEvent[] = [];
  for await (const event of engine.runTurn(turnInput, { signal })) events.push(event);
  return events;
}

/** The behaviour every agent engine must show on the demo clinic graph. */
export function runContract(name: string, factory: () => AgentEngine, options: ContractOptions = {}): void {
  const skipped = new Set((options.skip ?? []).map((s) => s.test));
  const test = (title: string, body: () => Promise<void>) => (skipped.has(title) ? it.skip : it)(title, body);

  describe(`agent contract: ${name}`, () => {
    test("an opening turn speaks and ends with exactly one done", async () => {
      const events = await collect(factory(), input(null, null));
      const dones = events.filter((e) => e.kind === "done");
      expect(dones).toHaveLength(1);
      expect(events.at(-1)?.kind).toBe("done");
      const done = dones[0]!;
      if (done.kind !== "done") throw new Error("unreachable");
      expect(done.fullMessage.length).toBeGreaterThan(0);
      const text = events.flatMap((e) => (e.kind === "text-delta" ? [e.text] : [])).join("");
      expect(text).toBe(done.fullMessage);
    });

    test("action events are shaped as the spec's agent actions", async () => {
      const engine = factory();
      const opening = await collect(engine, input(null, null));
      const done = opening.at(-1);
      if (done?.kind !== "done") throw new Error("no done");
      const reply = await collect(engine, input(done.nextState, "I have a terrible cough"));
      for (const event of [...opening, ...reply]) {
        if (event.kind === "action")
          expectSchemaMatch("CurrentAgentActionEvent", {
            type: "current-agent-action",
            action: event.action,
          });
      }
    });

    test("a farewell reaches the terminal state and completes the conversation", async () => {
      const engine = factory();
      const opening = await collect(engine, input(null, null));
      const done = opening.at(-1);
      if (done?.kind !== "done") throw new Error("no done");
      const bye = (await collect(engine, input(done.nextState, "bye, that's all"))).at(-1);
      expect(bye?.kind === "done" && bye.conversationCompleted).toBe(true);
    });

    test("aborting stops the turn with an error", async () => {
      const controller = new AbortController();
      controller.abort(new DOMException("stop", "AbortError"));
      await expect(collect(factory(), input(null, null), controller.signal)).rejects.toThrow();
    });
  });
}
