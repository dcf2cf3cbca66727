import * as chrono from "chrono-node";
import { AppError } from "../../../lib/app-error.js";
import type {
  AgentConversationState,
  AgentEngine,
  AgentEvent,
  AgentTurnInput,
  ContextGraph,
  JsonValue,
} from "../types.js";
import {
  asGraphBody,
  type GraphBody,
  type GraphState,
  stateNamed,
  targetName,
} from "../../../domain/context-graph.js";
import {
  classifyExitCondition,
  examplePhrasesFor,
  isFarewell,
  isOpenAnswer,
  understoodPart,
} from "./intent-classifier.js";

/** Sentences of the kinds callers say, parsed once at start so that no caller waits for compilation. */
const WARM_UP_SENTENCES = [
  "I have had a sore throat and a cough since last week",
  "Could we do tomorrow at ten in the morning instead",
  "Yes that works, thank you, goodbye",
];

/** The navigation state this engine keeps per conversation. */
interface RulesState {
  current_state: string;
  slots: { [name: string]: string };
  turns: number;
}

function readState(state: AgentConversationState | null): RulesState | null {
  if (state === null || typeof state.current_state !== "string") return null;
  const slots = (state.slots ?? {}) as { [name: string]: string };
  return { current_state: state.current_state, slots: { ...slots }, turns: Number(state.turns ?? 0) };
}

/**
 * Fills `{{slot|fallback}}` placeholders in an authored action from the conversation's slots (own
 * properties only: `{{constructor}}` is an unknown slot, not `Object.prototype.constructor`).
 */
function render(template: string, slots: { [name: string]: string }): string {
  return template.replace(
    // The fallback stops at a brace, so an unclosed `{{a|` costs one scan to the next brace, not to the end.
    /\{\{\s*([a-z_]+)\s*(?:\|([^{}]*))?\}\}/gi,
    (_m, name: string, fallback?: string) => {
      return (Object.hasOwn(slots, name) ? slots[name] : undefined) ?? fallback?.trim() ?? "";
    },
  );
}

/** Splits a reply into the pieces it is streamed in: clauses ending in punctuation, or about 6 words. */
export function replyPieces(text: string): string[] {
  const pieces: string[] = [];
  let current = "";
  let words = 0;
  for (const token of text.split(/(\s+)/)) {
    current += token;
    if (/\S/.test(token)) words += 1;
    if ((/[.,!?;:]$/.test(token) && words >= 3) || words >= 6) {
      pieces.push(current);
      current = "";
      words = 0;
    }
  }
  if (current.length > 0) pieces.push(current);
  return pieces;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted)
    throw signal.reason instanceof Error ? signal.reason : new DOMException("Aborted", "AbortError");
}

/**
 * The offline dialog engine: walks the context graph with rules instead of a language model.
 *
 * - The opening turn enters `new_user_initial_state` (or `returning_user_initial_state`).
 * - An action state speaks: with no LLM to paraphrase, its first authored `actions` entry is the
 *   utterance, with `{{slot|fallback}}` placeholders filled from entities the user mentioned (times and
 *   dates go to the slot `requested_time`).
 * - The user's reply (its first `MAX_UNDERSTOOD_TEXT_CHARS` characters) is matched against the current
 *   state's exit conditions by the intent classifier;
 *   a match moves along `next_state`, decision states choose their exit the same way at once, and the
 *   walk stops at the next action state, which speaks. No match: the state re-asks.
 * - Reaching `terminal_state`, or a farewell from the user in any state, ends the conversation.
 */
export class RulesAgentEngine implements AgentEngine {
  readonly name = "rules";
  readonly capabilities = { streamsText: true, languages: ["en"] };

  async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
    const graph = asGraphBody(input.graph.body);
    const versionInfo: [string, number] = [input.graph.id, input.graph.version];
    const previous = readState(input.state);
    if (previous !== null && previous.current_state === graph.terminal_state) {
      throw new AppError("conflict", "The conversation has already reached its end");
    }
    const state: RulesState = previous ?? { current_state: "", slots: {}, turns: 0 };
    state.turns += 1;
    // Classification, the farewell check and entity extraction read only the start of a long message, so
    // no message holds the event loop for longer than its first MAX_UNDERSTOOD_TEXT_CHARS cost.
    const userText = understoodPart(input.userMessage?.text ?? "");
    this.extractEntities(userText, input.now, state);

    const transition = (next: string): AgentEvent => {
      const event: AgentEvent = {
        kind: "action",
        action: {
          type: "navigate-state-machine-state-transitioned",
          prev_state: state.current_state,
          prev_state_state_machine_version_info: versionInfo,
          next_state: next,
          next_state_state_machine_version_info: versionInfo,
        },
      };
      state.current_state = next;
      return event;
    };
    const exitSelected = (description: string, next: string): AgentEvent => ({
      kind: "action",
      action: {
        type: "navigate-state-machine-exit-condition-selected",
        exit_condition: description,
        next_state_state_machine_version_info: versionInfo,
        next_state_name: next,
      },
    });

    let reprompt = false;
    if (previous === null) {
      yield transition(
        input.isReturningUser ? graph.returning_user_initial_state : graph.new_user_initial_state,
      );
    } else if (input.userMessage !== null && isFarewell(userText)) {
      yield exitSelected("The user says goodbye", graph.terminal_state);
      yield transition(graph.terminal_state);
    } else if (input.userMessage !== null) {
      const current = stateNamed(graph, state.current_state);
      const conditions = current.exit_conditions ?? [];
      const match = classifyExitCondition(
        userText,
        conditions.map((c) => c.description),
      );
      const chosen = match === undefined ? undefined : conditions[match.index];
      if (chosen === undefined) {
        reprompt = true;
      } else {
        yield exitSelected(chosen.description, targetName(chosen.next_state));
        yield transition(targetName(chosen.next_state));
      }
    }

    // Decision and other non-speaking states resolve at once; stop at the first action state.
    for (let hops = 0; hops < 32; hops += 1) {
      throwIfAborted(options.signal);
      const here = stateNamed(graph, state.current_state);
      if (here.type === "action" || here.name === graph.terminal_state) break;
      yield* this.resolveSilentState(here, userText, state, exitSelected, transition);
    }
    const speaking = stateNamed(graph, state.current_state);
    const template = speaking.actions?.[0] ?? speaking.objective ?? "";
    yield {
      kind: "action",
      action: { type: "navigate-state-machine-action-state-action-selected", action: template },
    };
    const reply = (reprompt ? "Sorry, I didn't quite catch that. " : "") + render(template, state.slots);
    const pieces = replyPieces(reply);
    for (const [index, piece] of pieces.entries()) {
      throwIfAborted(options.signal);
      yield {
        kind: "action",
        action: {
          type: "engage-user-message-fragment-generated",
          index,
          fragment: piece,
          is_final: index === pieces.length - 1,
        },
      };
      yield { kind: "text-delta", text: piece };
    }
    throwIfAborted(options.signal);
    yield {
      kind: "done",
      nextState: state as unknown as AgentConversationState,
      fullMessage: reply,
      conversationCompleted: state.current_state === graph.terminal_state,
      currentStateName: state.current_state,
    };
  }

  private *resolveSilentState(
    here: GraphState,
    userText: string,
    state: RulesState,
    exitSelected: (description: string, next: string) => AgentEvent,
    transition: (next: string) => AgentEvent,
  ): Iterable<AgentEvent> {
    if (here.type === "decision" && (here.exit_conditions?.length ?? 0) > 0) {
      const conditions = here.exit_conditions ?? [];
      const started = { type: "navigate-state-machine-decision-state-decision-started" };
      const stepId = `decision:${here.name}:${state.turns}`;
      yield { kind: "action", action: started };
      yield {
        kind: "step-started",
        stepId,
        startedEvent: started,
        fillers: here.audio_fillers ?? [],
        ...(here.audio_filler_triggered_after === undefined
          ? {}
          : { fillerTriggeredAfterSeconds: here.audio_filler_triggered_after }),
      };
      const match = classifyExitCondition(
        userText,
        conditions.map((c) => c.description),
      );
      const chosen = conditions[match?.index ?? 0] ?? conditions[0]!;
      yield { kind: "step-ended", stepId };
      yield exitSelected(chosen.description, targetName(chosen.next_state));
      yield transition(targetName(chosen.next_state));
      return;
    }
    if (here.next_state === undefined) throw new Error(`state "${here.name}" has no way forward`);
    yield transition(targetName(here.next_state));
  }

  /**
   * chrono-node compiles its many patterns on first use: the first parses of ordinary sentences take
   * about 150 ms, which would land on the first caller's reply.
   */
  warmUp(): Promise<void> {
    const now = new Date();
    for (const text of WARM_UP_SENTENCES) {
      chrono.parse(text, now, { forwardDate: true });
      classifyExitCondition(text, ["The user agrees", "The user describes the reason for the visit"]);
    }
    return Promise.resolve();
  }

  private extractEntities(userText: string, now: Date, state: RulesState): void {
    if (userText.length === 0) return;
    const found = chrono.parse(userText, now, { forwardDate: true })[0];
    if (found !== undefined) state.slots.requested_time = found.text;
  }

  expectedUserReplies(graph: ContextGraph, state: AgentConversationState | null): string[] | null {
    const current = readState(state);
    if (current === null) return null;
    const body: GraphBody = asGraphBody(graph.body);
    const here = body.states.find((s) => s.name === current.current_state);
    const conditions = here?.exit_conditions ?? [];
    // A state that takes free answers ("the user describes ...") has no closed set of replies.
    if (conditions.some((c) => isOpenAnswer(c.description))) return null;
    const phrases = conditions.flatMap((c) => examplePhrasesFor(c.description));
    return phrases.length === 0 ? null : [...new Set([...phrases, "goodbye"])];
  }
}

export type { JsonValue };
