import { describe, expect, it } from "vitest";
import { demoGraphVersionBody } from "../domain/demo/clinic-receptionist.js";
import type { Conversation } from "../domain/conversation.js";
import { createRulesAgentEngine } from "../engines/agent/rules/index.js";
import type { AgentEngine, AgentTurnInput } from "../engines/agent/types.js";
import { produceTurn, type TurnEvent } from "./turn.js";

const conversation: Conversation = {
  id: "c".repeat(24),
  organizationId: "o".repeat(24),
  userId: "u".repeat(24),
  serviceId: "s".repeat(24),
  versionSetName: "release",
  isFinished: false,
  agentState: null,
  tags: {},
  createdAt: "2026-11-24T09:00:00.000Z",
  updatedAt: "2026-11-24T09:00:00.000Z",
};

async function run(agent: AgentEngine, history: AgentTurnInput["history"] = []) {
  const events: TurnEvent[] = [];
  const turn = produceTurn({
    agent,
    conversation,
    history,
    user: { firstName: "Sam", lastName: "Lee", timezone: "UTC", preferredLanguage: "eng" },
    persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
    graph: { id: "a".repeat(24), version: 1, body: demoGraphVersionBody },
    userInput: null,
    externalEvents: [],
    isReturningUser: false,
    reply: { format: "text" },
    now: () => new Date("2026-11-24T09:00:00Z"),
    signal: new AbortController().signal,
  });
  let next = await turn.next();
  while (next.done !== true) {
    events.push(next.value);
    next = await turn.next();
  }
  return { events, record: next.value };
}

describe("the turn derives message fragments from the agent's text deltas", () => {
  it("numbers one fragment per delta, marks only the last final, and stores them with the actions", async () => {
    const { events, record } = await run(createRulesAgentEngine());
    const fragments = events.flatMap((e) =>
      e.type === "agent-action" && e.action.type === "engage-user-message-fragment-generated"
        ? [e.action]
        : [],
    );
    const texts = events.flatMap((e) => (e.type === "reply-text" ? [e.text] : []));
    expect(fragments.length).toBe(texts.length);
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.map((f) => f.index)).toEqual(fragments.map((_, i) => i));
    expect(fragments.map((f) => f.is_final)).toEqual(fragments.map((_, i) => i === fragments.length - 1));
    expect(fragments.map((f) => f.fragment).join("")).toBe(record.fullMessage);
    expect(record.actions.filter((a) => a.type === "engage-user-message-fragment-generated")).toEqual(
      fragments,
    );
  });

  it("hands the agent the conversation so far, the persona and the current state", async () => {
    const rules = createRulesAgentEngine();
    const seen: AgentTurnInput[] = [];
    const spy: AgentEngine = {
      name: "spy",
      capabilities: rules.capabilities,
      runTurn(input, options) {
        seen.push(input);
        return rules.runTurn(input, options);
      },
    };
    const history = [
      { role: "agent" as const, text: "Hello, welcome" },
      { role: "user" as const, text: "hi" },
    ];
    await run(spy, history);
    expect(seen[0]).toMatchObject({ history, currentStateName: null, persona: { name: "Ada" } });
  });
});
