import { AppError } from "../../../lib/app-error.js";
import {
  asGraphBody,
  type GraphBody,
  type GraphState,
  stateNamed,
  targetName,
  type ToolCallSpec,
} from "../../../domain/context-graph.js";
import type { ToolRegistry } from "../tools/registry.js";
import { runTool, type ToolOutcome } from "../tools/run-tool.js";
import type { ToolParameters } from "../tools/types.js";
import type { AgentAction, AgentEvent, AgentTurnInput } from "../types.js";
import type { ExitChooser, ExitOption, UtteranceWriter, WalkContext } from "./strategy.js";
import {
  MAX_REMEMBERED_TOOL_RESULTS,
  readWalkerState,
  type WalkerState,
  writeWalkerState,
} from "./walker-state.js";

/** Silent states (decision, tool-call, …) one turn may pass through before it must reach an action state. */
const MAX_SILENT_HOPS = 32;

/** The implicit way out of every action state: the user ends the call. */
const FAREWELL_EXIT = "The user says goodbye or wants to end the conversation";

export interface WalkerOptions {
  chooser: ExitChooser;
  writer: UtteranceWriter;
  tools: ToolRegistry;
}

/**
 * Walks a service's context graph for one turn, the same way for every brain:
 *
 * - The opening turn enters `new_user_initial_state` (or `returning_user_initial_state`).
 * - The user's reply in an action state is offered to the chooser with the state's exit conditions
 *   and an implicit farewell exit to `terminal_state`; a choice moves along it, none keeps the state
 *   (the writer then asks again).
 * - Silent states resolve at once: a decision state asks the chooser (one exit must be chosen, a step
 *   with the state's fillers); a tool-call state has the chooser generate its designated tool's
 *   parameters (a step with the params-generation fillers), calls the tool (a step with the tool spec's
 *   fillers) and moves to `next_state`; other states follow `next_state`.
 * - In the action state it stops at, the chooser may call the state's `action_tool_call_specs`, then
 *   the writer streams the reply.
 * - Reaching `terminal_state` completes the conversation.
 *
 * Tool failures do not end the turn: they are reported in `tool-call-ended` (see `runTool`).
 */
export async function* walkContextGraph(
  input: AgentTurnInput,
  options: WalkerOptions,
  signal: AbortSignal,
): AsyncGenerator<AgentEvent> {
  const graph = asGraphBody(input.graph.body);
  const versionInfo: [string, number] = [input.graph.id, input.graph.version];
  const previous = readWalkerState(input.state);
  if (previous !== null && previous.current_state === graph.terminal_state) {
    throw new AppError("conflict", "The conversation has already reached its end");
  }
  const state: WalkerState = previous ?? { current_state: "", slots: {}, turns: 0, tool_results: [] };
  state.turns += 1;
  const userText = input.userMessage?.text ?? "";
  if (userText.length > 0) Object.assign(state.slots, options.chooser.readUserMessage?.(userText, input.now));
  const turnSlots = { ...state.slots };
  const toolOutcomes: ToolOutcome[] = [];
  let toolRound = 0;
  const context = (here: GraphState): WalkContext => ({
    input,
    graph,
    here,
    userText,
    slots: turnSlots,
    toolOutcomes,
    rememberedToolResults: state.tool_results,
  });
  const action = (a: AgentAction): AgentEvent => ({ kind: "action", action: a });
  const transition = (next: string): AgentEvent => {
    const event = action({
      type: "navigate-state-machine-state-transitioned",
      prev_state: state.current_state,
      prev_state_state_machine_version_info: versionInfo,
      next_state: next,
      next_state_state_machine_version_info: versionInfo,
    });
    state.current_state = next;
    return event;
  };
  const exitSelected = (option: ExitOption): AgentEvent =>
    action({
      type: "navigate-state-machine-exit-condition-selected",
      exit_condition: option.description,
      next_state_state_machine_version_info: versionInfo,
      next_state_name: option.nextState,
    });

  async function* callTool(
    spec: ToolCallSpec,
    parameters: ToolParameters,
  ): AsyncGenerator<AgentEvent, ToolOutcome> {
    const tool = options.tools.get(spec.tool_id);
    const round = toolRound;
    toolRound += 1;
    const toolVersion = tool?.version ?? spec.version_constraint;
    const started = {
      type: "tool-call-started",
      tool_round_index: round,
      tool_id: spec.tool_id,
      tool_version: toolVersion,
      input_params: parameters,
    };
    yield action(started);
    const stepId = `tool-call:${round}:${state.turns}`;
    yield stepStarted(stepId, started, spec.audio_fillers, spec.audio_filler_triggered_after);
    const outcome = await runTool(options.tools, spec, parameters, signal);
    yield { kind: "step-ended", stepId };
    yield action({
      type: "tool-call-ended",
      tool_round_index: round,
      tool_id: spec.tool_id,
      tool_version: outcome.toolVersion,
      input_parameters: parameters,
      result: outcome.result,
      duration: outcome.durationSeconds,
    });
    toolOutcomes.push(outcome);
    applyToolResult(outcome, state, turnSlots);
    return outcome;
  }

  let reprompt = false;
  if (previous === null) {
    yield transition(
      input.isReturningUser ? graph.returning_user_initial_state : graph.new_user_initial_state,
    );
  } else if (input.userMessage !== null) {
    const here = stateNamed(graph, state.current_state);
    const exits = exitOptions(here);
    const farewellIndex = exits.length;
    const offered = [...exits, { description: FAREWELL_EXIT, nextState: graph.terminal_state }];
    const choice = await options.chooser.chooseExit(
      { ...context(here), options: offered, mustChoose: false, farewellIndex },
      signal,
    );
    const chosen = choice === null ? undefined : offered[choice];
    if (chosen === undefined) {
      reprompt = true;
    } else {
      yield exitSelected(chosen);
      yield transition(chosen.nextState);
    }
  }

  for (let hops = 0; ; hops += 1) {
    signal.throwIfAborted();
    const here = stateNamed(graph, state.current_state);
    if (here.type === "action" || here.name === graph.terminal_state) break;
    if (hops >= MAX_SILENT_HOPS)
      throw new Error(`the context graph loops without speaking at "${here.name}"`);
    if (here.type === "decision" && (here.exit_conditions?.length ?? 0) > 0) {
      const started = { type: "navigate-state-machine-decision-state-decision-started" };
      const stepId = `decision:${here.name}:${state.turns}:${hops}`;
      yield action(started);
      yield stepStarted(stepId, started, here.audio_fillers, here.audio_filler_triggered_after);
      const offered = exitOptions(here);
      const choice = await options.chooser.chooseExit(
        { ...context(here), options: offered, mustChoose: true, farewellIndex: undefined },
        signal,
      );
      yield { kind: "step-ended", stepId };
      const chosen = offered[choice ?? 0] ?? offered[0]!;
      yield exitSelected(chosen);
      yield transition(chosen.nextState);
      continue;
    }
    if (here.type === "tool-call" && here.designated_tool !== undefined) {
      const spec = here.designated_tool;
      const tool = options.tools.get(spec.tool_id);
      const retrieved = {
        type: "designated-tool-retrieved",
        tool_id: spec.tool_id,
        tool_version: tool?.version ?? spec.version_constraint,
      };
      yield action(retrieved);
      const stepId = `tool-params:${here.name}:${state.turns}:${hops}`;
      yield stepStarted(
        stepId,
        retrieved,
        here.designated_tool_call_params_generation_audio_fillers,
        here.designated_tool_call_params_generation_audio_filler_triggered_after,
      );
      const parameters = await options.chooser.toolParameters({ ...context(here), spec, tool }, signal);
      yield { kind: "step-ended", stepId };
      yield action({
        type: "designated-tool-call-params-generated",
        tool_id: spec.tool_id,
        tool_version: retrieved.tool_version,
        tool_call_params: parameters,
      });
      const outcome = yield* callTool(spec, parameters);
      yield action({
        type: "navigate-state-machine-tool-call-state-tool-output-available",
        tool_id: spec.tool_id,
        tool_version: outcome.toolVersion,
        tool_output: outcome.result,
        duration: outcome.durationSeconds,
        input_arguments: parameters,
      });
    }
    if (here.next_state === undefined) throw new Error(`state "${here.name}" has no way forward`);
    yield transition(targetName(here.next_state));
  }

  const speaking = stateNamed(graph, state.current_state);
  const available = (speaking.action_tool_call_specs ?? []).flatMap((spec) => {
    const tool = options.tools.get(spec.tool_id);
    return tool === undefined ? [] : [{ spec, tool }];
  });
  if (available.length > 0) {
    const calls = await options.chooser.actionToolCalls({ ...context(speaking), available }, signal);
    for (const call of calls) yield* callTool(call.spec, call.parameters);
  }
  signal.throwIfAborted();
  const reply = await options.writer.write({ ...context(speaking), reprompt }, signal);
  yield action({ type: "navigate-state-machine-action-state-action-selected", action: reply.action });
  let fullMessage = "";
  for await (const text of reply.text) {
    signal.throwIfAborted();
    if (text.length === 0) continue;
    fullMessage += text;
    yield { kind: "text-delta", text };
  }
  signal.throwIfAborted();
  if (fullMessage.trim().length === 0)
    throw new Error(`the agent wrote an empty reply in "${speaking.name}"`);
  yield {
    kind: "done",
    nextState: writeWalkerState(state),
    fullMessage,
    conversationCompleted: state.current_state === graph.terminal_state,
    currentStateName: state.current_state,
  };
}

function exitOptions(here: GraphState): ExitOption[] {
  return (here.exit_conditions ?? []).map((c) => ({
    description: c.description,
    nextState: targetName(c.next_state),
  }));
}

function stepStarted(
  stepId: string,
  startedEvent: AgentAction,
  fillers: string[] | undefined,
  triggerSeconds: number | undefined,
): AgentEvent {
  return {
    kind: "step-started",
    stepId,
    startedEvent,
    fillers: fillers ?? [],
    ...(triggerSeconds === undefined || (fillers?.length ?? 0) === 0
      ? {}
      : { fillerTriggeredAfterSeconds: triggerSeconds }),
  };
}

/**
 * A tool's answer fields (strings, numbers, booleans at the top level) become slots for this turn, and
 * for later turns too when the spec lets the result persist.
 */
function applyToolResult(
  outcome: ToolOutcome,
  state: WalkerState,
  turnSlots: { [name: string]: string },
): void {
  const value = outcome.value;
  const fields: { [name: string]: string } = {};
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [name, field] of Object.entries(value)) {
      const scalar = typeof field === "string" || typeof field === "number" || typeof field === "boolean";
      if (/^[a-z_]+$/i.test(name) && scalar) fields[name] = String(field);
    }
  }
  Object.assign(turnSlots, fields);
  if (!outcome.persist) return;
  Object.assign(state.slots, fields);
  state.tool_results.push({ toolName: outcome.toolName, result: outcome.result });
  state.tool_results.splice(0, Math.max(0, state.tool_results.length - MAX_REMEMBERED_TOOL_RESULTS));
}

export type { GraphBody };
