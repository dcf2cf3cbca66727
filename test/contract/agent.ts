import { describe, expect, it } from "vitest";
import { demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import type {
  AgentActionEvent,
  AgentConversationState,
  AgentEngine,
  AgentEvent,
  AgentTurnDone,
  AgentTurnInput,
} from "../../src/engines/agent/types.js";
import { expectSchemaMatch } from "../helpers/spec-validator.js";

export interface ContractOptions {
  skip?: { test: string; reason: string }[];
}

const graph = { id: "a".repeat(24), version: 1, body: demoGraphVersionBody };
const versionInfo = [graph.id, graph.version];

function input(
  state: AgentConversationState | null,
  text: string | null,
  isReturningUser = false,
): AgentTurnInput {
  return {
    conversationId: "c".repeat(24),
    persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
    graph,
    state,
    userMessage: text === null ? null : { kind: "user-message", text },
    isReturningUser,
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

type Action = AgentActionEvent["action"];
const actionsOf = (events: AgentEvent[]): Action[] =>
  events.flatMap((e) => (e.kind === "action" ? [e.action] : []));
const ofActionType = (events: AgentEvent[], type: string) => actionsOf(events).filter((a) => a.type === type);
const TRANSITIONED = "navigate-state-machine-state-transitioned";

/**
 * What every turn must show: the actions are the spec's agent actions, navigation happens before the
 * reply is spoken, the state transitions form one chain that ends in the state `done` names, the text
 * deltas and the message fragments each add up to the full message, and exactly one `done` ends it.
 * Returns the `done`.
 */
function expectWellFormedTurn(events: AgentEvent[]): AgentTurnDone {
  expect(events.filter((e) => e.kind === "done")).toHaveLength(1);
  const done = events.at(-1);
  if (done?.kind !== "done") throw new Error(`the turn ended with ${done?.kind ?? "nothing"}, not done`);
  expect(done.fullMessage.trim().length).toBeGreaterThan(0);

  for (const action of actionsOf(events)) {
    expectSchemaMatch("CurrentAgentActionEvent", { type: "current-agent-action", action });
  }
  const firstText = events.findIndex((e) => e.kind === "text-delta");
  expect(firstText).toBeGreaterThan(0);
  const lastNavigation = events.findLastIndex(
    (e) => e.kind === "action" && e.action.type.startsWith("navigate-state-machine-"),
  );
  expect(lastNavigation).toBeLessThan(firstText);
  expect(actionsOf(events.slice(0, firstText)).map((a) => a.type)).toContain(
    "navigate-state-machine-action-state-action-selected",
  );

  const transitions = ofActionType(events, TRANSITIONED);
  for (const [i, transition] of transitions.entries()) {
    expect(transition.next_state_state_machine_version_info).toEqual(versionInfo);
    expect(transition.prev_state_state_machine_version_info).toEqual(versionInfo);
    if (i > 0) expect(transition.prev_state).toBe(transitions[i - 1]!.next_state);
  }
  if (transitions.length > 0) expect(transitions.at(-1)!.next_state).toBe(done.currentStateName);

  const deltas = events.flatMap((e) => (e.kind === "text-delta" ? [e.text] : []));
  expect(deltas.every((d) => d.length > 0)).toBe(true);
  expect(deltas.join("")).toBe(done.fullMessage);
  const fragments = ofActionType(events, "engage-user-message-fragment-generated");
  expect(fragments.length).toBeGreaterThan(0);
  expect(fragments.map((f) => f.index)).toEqual(fragments.map((_, i) => i));
  expect(fragments.map((f) => f.is_final)).toEqual(fragments.map((_, i) => i === fragments.length - 1));
  expect(fragments.map((f) => f.fragment).join("")).toBe(done.fullMessage);
  return done;
}

/** The behaviour every agent engine must show on the demo clinic graph. */
export function runContract(name: string, factory: () => AgentEngine, options: ContractOptions = {}): void {
  const skipped = new Set((options.skip ?? []).map((s) => s.test));
  const test = (title: string, body: () => Promise<void>) => (skipped.has(title) ? it.skip : it)(title, body);

  describe(`agent contract: ${name}`, () => {
    test("an opening turn enters the initial state, then speaks, and ends with exactly one done", async () => {
      const events = await collect(factory(), input(null, null));
      const done = expectWellFormedTurn(events);
      const transitions = ofActionType(events, TRANSITIONED);
      expect(transitions.length).toBeGreaterThan(0);
      expect(transitions[0]!.next_state).toBe(demoGraphVersionBody.new_user_initial_state);
      expect(done.currentStateName).toBe(demoGraphVersionBody.new_user_initial_state);
      expect(done.conversationCompleted).toBe(false);
    });

    test("a returning user's opening turn enters the returning user's initial state", async () => {
      const events = await collect(factory(), input(null, null, true));
      const done = expectWellFormedTurn(events);
      expect(ofActionType(events, TRANSITIONED)[0]?.next_state).toBe(
        demoGraphVersionBody.returning_user_initial_state,
      );
      expect(done.currentStateName).toBe(demoGraphVersionBody.returning_user_initial_state);
    });

    test("a reply moves along the exit condition it meets, with the selection and the transition", async () => {
      const engine = factory();
      const opening = expectWellFormedTurn(await collect(engine, input(null, null)));
      const events = await collect(engine, input(opening.nextState, "I have a terrible cough"));
      const done = expectWellFormedTurn(events);
      const selected = ofActionType(events, "navigate-state-machine-exit-condition-selected");
      expect(selected[0]).toMatchObject({ next_state_name: "offer_time" });
      expect(String(selected[0]!.exit_condition)).toMatch(/reason for the visit/);
      expect(ofActionType(events, TRANSITIONED)[0]).toMatchObject({
        prev_state: demoGraphVersionBody.new_user_initial_state,
        next_state: "offer_time",
      });
      expect(done.currentStateName).toBe("offer_time");
      expect(done.conversationCompleted).toBe(false);
    });

    test("a farewell reaches the terminal state and completes the conversation", async () => {
      const engine = factory();
      const opening = expectWellFormedTurn(await collect(engine, input(null, null)));
      const events = await collect(engine, input(opening.nextState, "bye, that's all"));
      const bye = expectWellFormedTurn(events);
      expect(ofActionType(events, TRANSITIONED).at(-1)?.next_state).toBe(demoGraphVersionBody.terminal_state);
      expect(bye.currentStateName).toBe(demoGraphVersionBody.terminal_state);
      expect(bye.conversationCompleted).toBe(true);
    });

    test("an aborted turn ends with the signal's reason and no done", async () => {
      const controller = new AbortController();
      const reason = new DOMException("stop", "AbortError");
      controller.abort(reason);
      await expect(collect(factory(), input(null, null), controller.signal)).rejects.toBe(reason);
    });

    test("aborting a turn that is under way stops it with the signal's reason before done", async () => {
      const controller = new AbortController();
      const reason = new DOMException("barge-in", "AbortError");
      const events: AgentEvent[] = [];
      await expect(
        (async () => {
          for await (const event of factory().runTurn(input(null, null), { signal: controller.signal })) {
            events.push(event);
            controller.abort(reason);
          }
        })(),
      ).rejects.toBe(reason);
      expect(events.length).toBeGreaterThan(0);
      expect(events.some((e) => e.kind === "done")).toBe(false);
    });
  });
}
