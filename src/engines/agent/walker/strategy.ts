/**
 * The two parts of an agent engine that differ between brains. The shared context-graph walker owns
 * states, exits, decisions, tool calls and the terminal state; it asks an `ExitChooser` which way to go
 * (and with which tool parameters) and an `UtteranceWriter` what to say in the action state it stops at.
 */
import type { GraphBody, GraphState, ToolCallSpec } from "../../../domain/context-graph.js";
import type { ToolOutcome } from "../tools/run-tool.js";
import type { ToolDefinition, ToolParameters } from "../tools/types.js";
import type { AgentTurnInput } from "../types.js";

/** One way out of a state, as offered to the chooser. */
export interface ExitOption {
  description: string;
  nextState: string;
}

/** A tool result from an earlier turn whose spec let it persist. */
export interface RememberedToolResult {
  toolName: string;
  result: string;
}

/** What every question to a strategy can see. */
export interface WalkContext {
  input: AgentTurnInput;
  graph: GraphBody;
  /** The state being resolved or spoken in. */
  here: GraphState;
  /** The user's message text this turn ("" when there is none). */
  userText: string;
  /** Slots: entities from the user's messages and fields of this turn's tool results. */
  slots: { [name: string]: string };
  /** Tool calls made so far in this turn, in order. */
  toolOutcomes: ToolOutcome[];
  /** Persisted results of earlier turns' tool calls (oldest first). */
  rememberedToolResults: RememberedToolResult[];
}

export interface ExitChoiceRequest extends WalkContext {
  options: ExitOption[];
  /**
   * True in a decision state: one option must be chosen. False after the user's reply in an action
   * state: choosing none keeps the conversation in the state (the agent asks again).
   */
  mustChoose: boolean;
  /** Index of the implicit "the user says goodbye" option, when the walker added one. */
  farewellIndex: number | undefined;
}

export interface ToolParametersRequest extends WalkContext {
  spec: ToolCallSpec;
  /** The registered tool, or undefined when none is registered under the spec's id. */
  tool: ToolDefinition | undefined;
}

export interface ActionToolsRequest extends WalkContext {
  /** The action state's `action_tool_call_specs` with their registered tools (unknown ones left out). */
  available: { spec: ToolCallSpec; tool: ToolDefinition }[];
}

export interface ExitChooser {
  /** Slot values the user's message gives (dates, times, names); merged into the conversation's slots. */
  readUserMessage?(text: string, now: Date): { [slot: string]: string };
  /** Index into `options`, or null for none (only when `mustChoose` is false). */
  chooseExit(request: ExitChoiceRequest, signal: AbortSignal): Promise<number | null>;
  /** The parameters of a tool-call state's designated tool. */
  toolParameters(request: ToolParametersRequest, signal: AbortSignal): Promise<ToolParameters>;
  /** Which of an action state's tools to call before speaking, with their parameters (may be none). */
  actionToolCalls(
    request: ActionToolsRequest,
    signal: AbortSignal,
  ): Promise<{ spec: ToolCallSpec; parameters: ToolParameters }[]>;
}

export interface UtteranceRequest extends WalkContext {
  /** True when the user's reply matched no exit: the agent asks again. */
  reprompt: boolean;
}

export interface UtteranceWriter {
  /**
   * The reply in an action state: `action` is the authored action it carries out (reported in
   * `navigate-state-machine-action-state-action-selected`), `text` streams the reply's pieces.
   */
  write(
    request: UtteranceRequest,
    signal: AbortSignal,
  ): Promise<{ action: string; text: AsyncIterable<string> }>;
}
