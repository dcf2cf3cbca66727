import fs from "node:fs";
import os from "node:os";
import type { Llama, LlamaChatSession, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import type { JsonValue } from "../../../domain/json.js";
import { AppError } from "../../../lib/app-error.js";
import { Channel } from "../../../lib/channel.js";
import type { ChatBrain, ChatMessage, StructuredRequest } from "./chat-brain.js";

/** Turns that may wait for the one model sequence; more are answered `service_unavailable`. */
const MAX_WAITING_CALLS = 8;

export interface LlamaBrainOptions {
  /** Path of the GGUF file (`PARLEY_LLAMA_MODEL_PATH`). */
  modelPath: string;
  contextSize: number;
  /** CPU threads; 0: half the cores, at least 1. */
  threads: number;
  gpu: "auto" | false;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  chat: typeof LlamaChatSession;
}

/**
 * A GGUF model run in process by node-llama-cpp, an optional dependency imported only when this brain
 * is configured. One context sequence serves one call at a time; other calls wait in a queue of
 * `MAX_WAITING_CALLS` (overflow: `service_unavailable`). Structured answers are decoded under a
 * grammar made from the JSON schema, so the model can only write a matching answer.
 */
export class LlamaBrain implements ChatBrain {
  readonly name: string;
  private loading: Promise<Loaded> | undefined;
  private busy: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly options: LlamaBrainOptions) {
    this.name = `llama:${options.modelPath.split("/").at(-1) ?? options.modelPath}`;
  }

  /** Loads the model, failing with an error that names `PARLEY_LLAMA_MODEL_PATH`. */
  async warmUp(): Promise<void> {
    await this.load();
  }

  async *streamText(
    messages: ChatMessage[],
    options: { signal: AbortSignal; maxTokens: number },
  ): AsyncGenerator<string> {
    const pieces = new Channel<string>(256);
    const generation = this.withSession(messages, options.signal, async (session, prompt) => {
      await session.prompt(prompt, {
        signal: options.signal,
        maxTokens: options.maxTokens,
        onTextChunk: (text) => {
          // Chunks beyond the channel's capacity wait in their sends (at most `maxTokens` of them).
          pieces.send(text).catch(() => {
            // The channel failed or closed: the turn is over and its reader gone.
          });
        },
      });
    }).then(
      () => pieces.close(),
      (error: unknown) => pieces.fail(error),
    );
    try {
      yield* pieces;
    } finally {
      await generation;
    }
  }

  async structured(
    messages: ChatMessage[],
    request: StructuredRequest,
    options: { signal: AbortSignal },
  ): Promise<JsonValue> {
    const { llama } = await this.load();
    const grammar = await llama.createGrammarForJsonSchema(request.schema as never);
    return this.withSession(messages, options.signal, async (session, prompt) => {
      const text = await session.prompt(prompt, { grammar, signal: options.signal, maxTokens: 512 });
      try {
        return grammar.parse(text) as unknown as JsonValue;
      } catch (error) {
        throw new AppError("service_unavailable", `${this.name} wrote an answer that does not parse`, {
          cause: error,
        });
      }
    });
  }

  async close(): Promise<void> {
    if (this.loading === undefined) return;
    const loaded = await this.loading.catch(() => undefined);
    this.loading = undefined;
    await loaded?.context.dispose();
    await loaded?.model.dispose();
    await loaded?.llama.dispose();
  }

  /** Runs `work` on a fresh chat session over the one sequence, after the calls before it. */
  private async withSession<T>(
    messages: ChatMessage[],
    signal: AbortSignal,
    work: (session: LlamaChatSession, prompt: string) => Promise<T>,
  ): Promise<T> {
    const loaded = await this.load();
    if (this.waiting >= MAX_WAITING_CALLS) {
      throw new AppError("service_unavailable", `${this.name} is busy: too many turns are waiting`);
    }
    this.waiting += 1;
    const previous = this.busy;
    let release = () => {};
    this.busy = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      signal.throwIfAborted();
      await loaded.sequence.clearHistory();
      const last = messages.at(-1);
      const prompt = last?.role === "user" ? last.content : "";
      const earlier = last?.role === "user" ? messages.slice(0, -1) : messages;
      const session = new loaded.chat({ contextSequence: loaded.sequence, autoDisposeSequence: false });
      try {
        session.setChatHistory(
          earlier.map((m) =>
            m.role === "system"
              ? { type: "system", text: m.content }
              : m.role === "user"
                ? { type: "user", text: m.content }
                : { type: "model", response: [m.content] },
          ),
        );
        return await work(session, prompt);
      } finally {
        session.dispose({ disposeSequence: false });
      }
    } finally {
      this.waiting -= 1;
      release();
    }
  }

  private load(): Promise<Loaded> {
    this.loading ??= this.loadOnce();
    return this.loading;
  }

  private async loadOnce(): Promise<Loaded> {
    const setting = `PARLEY_LLAMA_MODEL_PATH="${this.options.modelPath}"`;
    if (!fs.existsSync(this.options.modelPath)) {
      throw new Error(`${setting}: no such file`);
    }
    let library: typeof import("node-llama-cpp");
    try {
      library = await import("node-llama-cpp");
    } catch (error) {
      throw new Error(
        `PARLEY_AGENT_ENGINE="llama" needs the optional package node-llama-cpp, which is not installed (npm install node-llama-cpp)`,
        { cause: error },
      );
    }
    try {
      const llama = await library.getLlama({
        gpu: this.options.gpu,
        build: "never",
        progressLogs: false,
        logLevel: library.LlamaLogLevel.error,
      });
      const model = await llama.loadModel({ modelPath: this.options.modelPath });
      const threads =
        this.options.threads > 0
          ? this.options.threads
          : Math.max(1, Math.floor(os.availableParallelism() / 2));
      const context = await model.createContext({
        contextSize: this.options.contextSize,
        sequences: 1,
        threads,
      });
      return { llama, model, context, sequence: context.getSequence(), chat: library.LlamaChatSession };
    } catch (error) {
      throw new Error(
        `${setting} cannot be loaded: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
