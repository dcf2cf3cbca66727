import type { ToolRegistry } from "../tools/registry.js";
import type { AgentEngine, AgentEvent, AgentTurnInput } from "../types.js";
import { walkContextGraph } from "../walker/context-graph-walker.js";
import type { ChatBrain } from "./chat-brain.js";
import { LlmExitChooser, LlmUtteranceWriter } from "./llm-strategy.js";

export interface LlmAgentOptions {
  brain: ChatBrain;
  tools: ToolRegistry;
  /** Tokens the model may write per reply. */
  maxTokens: number;
}

/**
 * The LLM agent: the shared context-graph walker, with a language model writing the replies (streamed
 * token by token) and making every choice (exits, decisions, tool parameters) by a structured call
 * among the listed options. The graph stays the authority on states.
 */
export class LlmAgentEngine implements AgentEngine {
  readonly name: string;
  readonly capabilities = { streamsText: true, languages: ["*"], grammarHints: false };
  private readonly chooser: LlmExitChooser;
  private readonly writer: LlmUtteranceWriter;

  constructor(private readonly options: LlmAgentOptions) {
    this.name = `llm:${options.brain.name}`;
    this.chooser = new LlmExitChooser(options.brain);
    this.writer = new LlmUtteranceWriter(options.brain, options.maxTokens);
  }

  runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
    return walkContextGraph(
      input,
      { chooser: this.chooser, writer: this.writer, tools: this.options.tools },
      options.signal,
    );
  }

  async warmUp(): Promise<void> {
    await this.options.brain.warmUp?.();
  }

  async close(): Promise<void> {
    await this.options.brain.close?.();
  }
}
