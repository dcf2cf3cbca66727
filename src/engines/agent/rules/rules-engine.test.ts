import { describe, expect, it } from "vitest";
import { demoGraphVersionBody } from "../../../domain/demo/clinic-receptionist.js";
import type { AgentConversationState, AgentEvent, AgentTurnInput } from "../types.js";
import { createRulesAgentEngine } from "./index.js";

const engine = createRulesAgentEngine();
const graph = { id: "a".repeat(24), version: 1, body: demoGraphVersionBody };

async function turn(state: AgentConversationState | null, text: string | null, returning = false) {
  const input: AgentTurnInput = {
    conversationId: "c".repeat(24),
    persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
    graph,
    state,
    userMessage: text === null ? null : { kind: "user-message", text },
    currentStateName: null,
    history: [],
    isReturningUser: returning,
    user: { firstName: "Sam", lastName: "Lee", timezone: "UTC", preferredLanguage: "en-US" },
    now: new Date("2026-11-24T09:00:00Z"),
  };
  const events: AgentEvent[] = [];
  for await (const event of engine.runTurn(input, { signal: new AbortController().signal }))
    events.push(event);
  const done = events.at(-1);
  if (done?.kind !== "done") throw new Error("turn did not end with done");
  return { events, done };
}

describe("rules engine on the demo clinic graph", () => {
  it("walks greeting → reason → offer → accept → goodbye to the terminal state", async () => {
    const opening = await turn(null, null);
    expect(opening.done.currentStateName).toBe("greet_new_user");
    expect(opening.done.fullMessage).toMatch(/What brings you in/);

    const reason = await turn(opening.done.nextState, "I have had a bad headache since Monday");
    expect(reason.done.currentStateName).toBe("offer_time");

    const accept = await turn(reason.done.nextState, "yes that works for me");
    expect(accept.done.currentStateName).toBe("confirm_booking");
    const kinds = accept.events.filter((e) => e.kind === "action").map((e) => e.action.type);
    expect(kinds).toContain("navigate-state-machine-decision-state-decision-started");
    expect(kinds).toContain("navigate-state-machine-exit-condition-selected");
    expect(accept.events.some((e) => e.kind === "step-started" && e.fillers.length > 0)).toBe(true);

    const end = await turn(accept.done.nextState, "no, nothing else");
    expect(end.done.currentStateName).toBe("goodbye");
    expect(end.done.conversationCompleted).toBe(true);
  });

  it("offers the time the user asked for and books it", async () => {
    const opening = await turn(null, null, true);
    expect(opening.done.currentStateName).toBe("greet_returning_user");
    const reason = await turn(opening.done.nextState, "I need a checkup");
    const other = await turn(reason.done.nextState, "could we do a different day, maybe friday at 2 pm");
    expect(other.done.currentStateName).toBe("offer_another_time");
    expect(other.done.fullMessage).toMatch(/friday at 2 pm/i);
    const booked = await turn(other.done.nextState, "yes please");
    expect(booked.done.fullMessage).toMatch(/booked for friday at 2 pm/i);
  });

  it("re-asks when nothing matches and ends on a farewell from any state", async () => {
    const opening = await turn(null, null);
    const reason = await turn(opening.done.nextState, "my knee hurts");
    const unclear = await turn(reason.done.nextState, "");
    expect(unclear.done.currentStateName).toBe("offer_time");
    expect(unclear.done.fullMessage).toMatch(/didn't quite catch/);
    const bye = await turn(unclear.done.nextState, "bye, that's all");
    expect(bye.done.conversationCompleted).toBe(true);
  });

  it("streams deltas that concatenate to the full message", async () => {
    const { events, done } = await turn(null, null);
    const text = events.flatMap((e) => (e.kind === "text-delta" ? [e.text] : [])).join("");
    expect(text).toBe(done.fullMessage);
    expect(events.filter((e) => e.kind === "text-delta").length).toBeGreaterThan(1);
  });

  it("names the answers it expects in a state with closed exits", async () => {
    const opening = await turn(null, null);
    const reason = await turn(opening.done.nextState, "I have a fever");
    const phrases = engine.expectedUserReplies(graph, {
      ...reason.done.nextState,
      current_state: "check_answer",
    });
    expect(phrases).toContain("yes");
    expect(engine.expectedUserReplies(graph, null)).toBeNull();
  });
});
