import * as chrono from "chrono-node";
import type {
  AgentConversationState,
  AgentEngine,
  AgentEvent,
  AgentTurnInput,
  ContextGraph,
} from "../types.js";
import { asGraphBody } from "../../../domain/context-graph.js";
import { ToolRegistry } from "../tools/registry.js";
import { walkContextGraph } from "../walker/context-graph-walker.js";
import { readWalkerState } from "../walker/walker-state.js";
import { classifyExitCondition, examplePhrasesFor, isOpenAnswer } from "./intent-classifier.js";
import { RulesExitChooser, RulesUtteranceWriter } from "./rules-strategy.js";

/** Sentences of the kinds callers say, parsed once at start so that no caller waits for compilation. */
const WARM_UP_SENTENCES = [
  "I have had a sore throat and a cough since last week",
  "Could we do tomorrow at ten in the morning instead",
  "Yes that works, thank you, goodbye",
];

export interface RulesAgentOptions {
  /** Tools the graph's tool-call states and tool specs may call; default: the built-in clock only. */
  tools?: ToolRegistry;
}

/**
 * The offline dialog engine: the shared context-graph walker with rules instead of a language model.
 * Exits are chosen by the intent classifier (a farewell from any state ends the conversation), tool
 * parameters are filled from entities the user mentioned (times and dates go to `requested_time` and
 * `requested_date`), and an action state's first authored action, with `{{slot|fallback}}`
 * placeholders filled, is the reply.
 */
export class RulesAgentEngine implements AgentEngine {
  readonly name = "rules";
  readonly capabilities = { streamsText: true, languages: ["en"], grammarHints: true };
  private readonly chooser = new RulesExitChooser();
  private readonly writer = new RulesUtteranceWriter();
  private readonly tools: ToolRegistry;

  constructor(options: RulesAgentOptions = {}) {
    this.tools = options.tools ?? new ToolRegistry();
  }

  runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
    return walkContextGraph(
      input,
      { chooser: this.chooser, writer: this.writer, tools: this.tools },
      options.signal,
    );
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

  expectedUserReplies(graph: ContextGraph, state: AgentConversationState | null): string[] | null {
    const current = readWalkerState(state);
    if (current === null) return null;
    const here = asGraphBody(graph.body).states.find((s) => s.name === current.current_state);
    const conditions = here?.exit_conditions ?? [];
    // A state that takes free answers ("the user describes ...") has no closed set of replies.
    if (conditions.some((c) => isOpenAnswer(c.description))) return null;
    const phrases = conditions.flatMap((c) => examplePhrasesFor(c.description));
    return phrases.length === 0 ? null : [...new Set([...phrases, "goodbye"])];
  }
}
