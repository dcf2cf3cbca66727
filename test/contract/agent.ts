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
import { CLOCK_TOOL_ID } from "../../src/engines/agent/tools/clock-tool.js";
import { expectSchemaMatch } from "../helpers/spec-validator.js";

export interface ContractOptions {
  skip?: { test: string; reason: string }[];
}

const graph = { id: "a".repeat(24), version: 1, body: demoGraphVersionBody };
const versionInfo = [graph.id, graph.version];

/** A graph whose opening walks through a tool-call state that asks the built-in clock. */
const clockGraph = {
  id: "b".repeat(24),
  version: 2,
  body: {
    new_user_initial_state: "look_up_time",
    returning_user_initial_state: "look_up_time",
    terminal_state: "end",
    states: [
      {
        type: "tool-call",
        name: "look_up_time",
        next_state: "tell_time",
        designated_tool: {
          tool_id: CLOCK_TOOL_ID,
          version_constraint: ">=1.0",
          additional_instruction: "Use the caller's time zone.",
          audio_fillers: ["Let me look at the clock."],
          audio_filler_triggered_after: 1,
          result_persistence: "ephemeral",
        },
        designated_tool_call_params_generation_audio_fillers: [],
        designated_tool_call_params_generation_audio_filler_triggered_after: 2,
        designated_tool_call_objective: "Find the current time.",
        designated_tool_call_context: "The caller wants to know the time.",
        designated_tool_call_guidances: [],
        designated_tool_call_validations: [],
        tool_call_specs: [],
      },
      {
        type: "action",
        name: "tell_time",
        objective: "Tell the caller the current time.",
        actions: ["It is {{time|some time}} on {{weekday|a day}}."],
        exit_conditions: [{ description: "The user says anything", next_state: "end" }],
      },
      { type: "action", name: "end", actions: ["Bye."], exit_conditions: [] },
    ],
  },
};
const clockVersionInfo = [clockGraph.id, clockGraph.version];

function input(
  state: AgentConversationState | null,
  text: string | null,
  isReturningUser = false,
  turnGraph: AgentTurnInput["graph"] = graph,
): AgentTurnInput {
  return {
    conversationId: "c".repeat(24),
    persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
    graph: turnGraph,
    state,
    currentStateName: typeof state?.current_state === "string" ? state.current_state : null,
    history: [],
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
 * deltas add up to the full message (the engine leaves message fragments to the turn), every step that
 * starts ends, and exactly one `done` ends it. Returns the `done`.
 */
function expectWellFormedTurn(events: AgentEvent[], info: unknown[] = versionInfo): AgentTurnDone {
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
    expect(transition.next_state_state_machine_version_info).toEqual(info);
    expect(transition.prev_state_state_machine_version_info).toEqual(info);
    if (i > 0) expect(transition.prev_state).toBe(transitions[i - 1]!.next_state);
  }
  if (transitions.length > 0) expect(transitions.at(-1)!.next_state).toBe(done.currentStateName);

  const deltas = events.flatMap((e) => (e.kind === "text-delta" ? [e.text] : []));
  expect(deltas.every((d) => d.length > 0)).toBe(true);
  expect(deltas.join("")).toBe(done.fullMessage);
  expect(ofActionType(events, "engage-user-message-fragment-generated")).toEqual([]);

  const open = new Map<string, number>();
  for (const [i, event] of events.entries()) {
    if (event.kind === "step-started") {
      expect(open.size).toBe(0);
      expect(events[i - 1]).toEqual({ kind: "action", action: event.startedEvent });
      open.set(event.stepId, i);
    } else if (event.kind === "step-ended") {
      expect(open.has(event.stepId)).toBe(true);
      open.delete(event.stepId);
    }
  }
  expect(open.size).toBe(0);
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
      expect(selected[0]).toMatchObject({ next_state_name: "find_open_slot" });
      expect(String(selected[0]!.exit_condition)).toMatch(/reason for the visit/);
      expect(ofActionType(events, TRANSITIONED)[0]).toMatchObject({
        prev_state: demoGraphVersionBody.new_user_initial_state,
      });
      expect(ofActionType(events, TRANSITIONED).at(-1)).toMatchObject({ next_state: "offer_time" });
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

    test("a tool-call state calls its designated tool and reports it as the spec's events", async () => {
      const events = await collect(factory(), input(null, null, false, clockGraph));
      const done = expectWellFormedTurn(events, clockVersionInfo);
      const types = actionsOf(events).map((a) => a.type);
      const order = [
        "designated-tool-retrieved",
        "designated-tool-call-params-generated",
        "tool-call-started",
        "tool-call-ended",
        "navigate-state-machine-tool-call-state-tool-output-available",
      ].map((type) => types.indexOf(type));
      expect(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!))).toBe(true);
      const ended = ofActionType(events, "tool-call-ended")[0]!;
      expect(ended).toMatchObject({ tool_id: CLOCK_TOOL_ID, tool_version: "1.0.0", tool_round_index: 0 });
      expect(JSON.parse(String(ended.result))).toHaveProperty("iso");
      const steps = events.filter((e) => e.kind === "step-started");
      expect(steps.map((s) => s.startedEvent.type)).toEqual([
        "designated-tool-retrieved",
        "tool-call-started",
      ]);
      expect(steps[1]).toMatchObject({
        fillers: ["Let me look at the clock."],
        fillerTriggeredAfterSeconds: 1,
      });
      expect(done.currentStateName).toBe("tell_time");
    });

    test("close, when the engine has it, resolves", async () => {
      const engine = factory();
      await collect(engine, input(null, null));
      await engine.close?.();
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
