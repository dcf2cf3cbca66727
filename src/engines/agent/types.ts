/**
 * The agent engine contract: given the service's context graph, the conversation's navigation state and
 * the user's message, produce the agent's action steps and its reply as a stream.
 *
 * The engine is transport-free and store-free: the caller loads everything it needs into
 * `AgentTurnInput`, and persists `AgentTurnDone.nextState` only when the whole turn succeeds.
 */
import type { AgentAction, AgentConversationState, AgentPersona, ContextGraph } from "../../domain/agent.js";

export type { AgentAction, AgentConversationState, AgentPersona, ContextGraph } from "../../domain/agent.js";
export type { JsonValue } from "../../domain/json.js";

/** One message of the conversation so far, as the agent should remember it. */
export interface ConversationEntry {
  role: "user" | "agent" | "external-event";
  /**
   * What was said. For an agent reply the user interrupted, only the part the user heard (the stored
   * message keeps only that prefix).
   */
  text: string;
}

export interface AgentTurnInput {
  conversationId: string;
  /** Persona of the agent version in the service's version set. */
  persona: AgentPersona;
  graph: ContextGraph;
  /** The state written by the previous turn's `done`, or null for the conversation's first turn. */
  state: AgentConversationState | null;
  /** Name of the context graph state the conversation is in, or null before the first turn. */
  currentStateName: string | null;
  /**
   * The conversation before this turn, oldest first (at most the last `MAX_HISTORY_ENTRIES`). This
   * turn's user message is not in it: it is `userMessage`.
   */
  history: ConversationEntry[];
  /**
   * The user's message for this turn. `null` on the opening turn of a conversation (the agent speaks
   * first) and for `skip`. External events arrive as kind `external-event` with their text.
   */
  userMessage: { kind: "user-message" | "external-event"; text: string } | null;
  /** True when the user had finished conversations with this service before (returning user). */
  isReturningUser: boolean;
  /** User facts that rules may use (name, timezone, preferred language). */
  user: { firstName: string; lastName: string; timezone: string; preferredLanguage: string };
  /** The moment the turn starts; entity resolution (dates like "tomorrow") is relative to it. */
  now: Date;
}

/**
 * One step of the agent's work, shaped as the spec's `CurrentAgentActionEvent.action` object
 * (`{ type: "navigate-state-machine-state-transitioned", prev_state, ... }` and so on). The transport
 * wraps it in `{ type: "current-agent-action", action }` and applies the permission and regex filter.
 */
export interface AgentActionEvent {
  kind: "action";
  action: AgentAction;
}

/**
 * A piece of the reply text, in order; pieces concatenated form the full message. Engines do not emit
 * the spec's `engage-user-message-fragment-generated` actions: the turn derives them from these deltas.
 */
export interface AgentTextDelta {
  kind: "text-delta";
  text: string;
}

/**
 * The turn ended. `nextState` is persisted with the interaction; when `conversationCompleted` is true the
 * conversation is marked finished.
 */
export interface AgentTurnDone {
  kind: "done";
  nextState: AgentConversationState;
  fullMessage: string;
  conversationCompleted: boolean;
  /** Name of the state the conversation is in after this turn (for insights). */
  currentStateName: string;
  /** Which engine answered, when it is not the configured one (a fallback); absent otherwise. */
  answeredBy?: string;
}

/**
 * A long-running step has started: a place in the graph where the agent may stall (a tool call, a
 * decision, tool parameter generation, a slow model call) with its authored fillers. The turn runner
 * starts the filler timer on it and cancels the timer at `step-ended` with the same `stepId`.
 *
 * Shape (unchanged by contract v2): `stepId` is unique within the turn; `startedEvent` is the action
 * event that announced the step and was yielded just before; every `step-started` is followed by exactly
 * one `step-ended` with the same `stepId` before `done`, also when the step failed (a failed tool call
 * ends its step, then reports the failure in `tool-call-ended`). Steps do not nest.
 */
export interface AgentStepStarted {
  kind: "step-started";
  stepId: string;
  /** The action event that announced the step (becomes `previously_started_event` of a filler). */
  startedEvent: AgentActionEvent["action"];
  /** Authored filler phrases (at most 5); empty when the place has none. */
  fillers: string[];
  /** Seconds after which a filler is due (0 < s ≤ 10); absent when there are no fillers. */
  fillerTriggeredAfterSeconds?: number;
}

export interface AgentStepEnded {
  kind: "step-ended";
  stepId: string;
}

export type AgentEvent =
  AgentActionEvent | AgentTextDelta | AgentStepStarted | AgentStepEnded | AgentTurnDone;

export interface AgentCapabilities {
  /** True when text deltas are produced as the reply is generated (not all at the end). */
  streamsText: boolean;
  /** Languages the engine can converse in, as BCP 47 tags or "*" for any. */
  languages: string[];
  /** True when the engine implements `expectedUserReplies` (grammar hints for speech recognition). */
  grammarHints: boolean;
}

/** Most entries of `AgentTurnInput.history` the turn hands an engine (the most recent ones). */
export const MAX_HISTORY_ENTRIES = 40;

export interface AgentEngine {
  readonly name: string;
  readonly capabilities: AgentCapabilities;
  /**
   * Runs one turn. The stream ends with exactly one `done` event, or throws (an AppError for a client
   * mistake). Aborting `signal` stops the work and ends the stream with an AbortError.
   */
  runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent>;
  /**
   * Optional capability (`capabilities.grammarHints`): the phrases the user is expected to say next in
   * the given state (for example the answers a decision state's exit conditions describe), or null when
   * the answer is open. Speech recognition uses this to try a grammar first.
   */
  expectedUserReplies?(graph: ContextGraph, state: AgentConversationState | null): string[] | null;
  /** Compiles and loads what the first turn would otherwise wait for. */
  warmUp?(): Promise<void>;
  /** Releases models, sockets and workers; the engine is not used afterwards. */
  close?(): Promise<void>;
}
