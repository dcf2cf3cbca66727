import { Worker } from "node:worker_threads";
import { AppError } from "../../../lib/app-error.js";
import { AsyncQueue } from "../../../lib/async-queue.js";
import { workerEntry } from "../../../lib/worker-url.js";
import { isEnglish, type SttCapabilities, type SttEngine, type SttEvent, type SttOptions } from "../types.js";
import type { FromWorker, ToWorker } from "./worker-protocol.js";

export interface PocketSphinxOptions {
  /** Decoders running at once, one per worker thread; more requests wait for a free one. Default 2. */
  poolSize?: number;
  /** Extra PocketSphinx arguments (`{"-beam": "1e-60"}`), for tuning. */
  decoderArgs?: Record<string, string>;
}

interface PooledWorker {
  worker: Worker;
  ready: Promise<void>;
  listener: ((message: FromWorker) => void) | undefined;
  failed: ((error: Error) => void) | undefined;
}

/** PocketSphinx with the en-US model, each decoder in its own worker thread so the event loop stays free. */
export class PocketSphinxEngine implements SttEngine {
  readonly name = "pocketsphinx";
  readonly capabilities: SttCapabilities = {
    streaming: true,
    partialResults: true,
    sampleRatesHz: [16_000],
    languages: ["en-US"],
    grammars: true,
  };
  private readonly idle: PooledWorker[] = [];
  private readonly waiters: ((worker: PooledWorker) => void)[] = [];
  private created = 0;
  private sessions = 0;
  private readonly poolSize: number;

  constructor(private readonly options: PocketSphinxOptions = {}) {
    this.poolSize = options.poolSize ?? 2;
  }

  private spawn(): PooledWorker {
    const entry = workerEntry(import.meta.url, "worker");
    const worker = new Worker(entry.filename, {
      ...entry.options,
      workerData: { decoderArgs: this.options.decoderArgs ?? {} },
    });
    const pooled: PooledWorker = { worker, ready: Promise.resolve(), listener: undefined, failed: undefined };
    pooled.ready = new Promise((resolve, reject) => {
      const onReady = (message: FromWorker) => {
        if (message.type === "ready") {
          worker.off("message", onReady);
          resolve();
        }
      };
      worker.on("message", onReady);
      worker.once("error", reject);
    });
    worker.on("message", (message: FromWorker) => pooled.listener?.(message));
    worker.on("error", (error) => pooled.failed?.(error));
    worker.on("exit", () => {
      this.created -= 1;
      const index = this.idle.indexOf(pooled);
      if (index >= 0) this.idle.splice(index, 1);
      pooled.failed?.(new Error("the speech recognizer stopped"));
    });
    this.created += 1;
    return pooled;
  }

  private async acquire(signal: AbortSignal): Promise<PooledWorker> {
    const pooled =
      this.idle.pop() ??
      (this.created < this.poolSize
        ? this.spawn()
        : await new Promise<PooledWorker>((resolve, reject) => {
            this.waiters.push(resolve);
            signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
          }));
    await pooled.ready;
    return pooled;
  }

  private release(pooled: PooledWorker): void {
    pooled.listener = undefined;
    pooled.failed = undefined;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(pooled);
    else this.idle.push(pooled);
  }

  async warmUp(): Promise<void> {
    const pooled = await this.acquire(new AbortController().signal);
    this.release(pooled);
  }

  async *recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent> {
    if (!isEnglish(options.language)) {
      throw new AppError(
        "bad_request",
        `Speech recognition does not support the language ${options.language}`,
      );
    }
    const { signal } = options;
    signal.throwIfAborted();
    const pooled = await this.acquire(signal);
    const events = new AsyncQueue<FromWorker>();
    pooled.listener = (message) => events.push(message);
    pooled.failed = (error) => events.fail(error);
    const onAbort = () => events.fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const post = (message: ToWorker) => pooled.worker.postMessage(message);
    const session = (this.sessions += 1);
    let finished = false;
    post({
      type: "start",
      session,
      ...(options.expectedPhrases === undefined ? {} : { expectedPhrases: options.expectedPhrases }),
      ...(options.jsgfGrammar === undefined ? {} : { jsgfGrammar: options.jsgfGrammar }),
    });
    const pump = async () => {
      for await (const samples of audio) {
        if (signal.aborted || finished) return;
        post({ type: "audio", session, samples });
      }
      post({ type: "end", session });
    };
    pump().catch((error: unknown) => events.fail(error));
    try {
      for await (const message of events) {
        if (message.type === "partial") yield { type: "partial", text: message.text };
        else if (message.type === "final") {
          finished = true;
          yield {
            type: "final",
            text: message.text,
            words: message.words,
            confidence: message.confidence,
            mode: message.mode,
          };
          return;
        } else if (message.type === "error") {
          finished = true;
          throw new Error(`speech recognition failed: ${message.message}`);
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (!finished) {
        finished = true;
        post({ type: "cancel", session });
      }
      this.release(pooled);
    }
  }

  async close(): Promise<void> {
    const workers = [...this.idle];
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
