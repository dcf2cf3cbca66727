import { Worker } from "node:worker_threads";
import { AppError } from "../../../lib/app-error.js";
import { workerEntry } from "../../../lib/worker-url.js";
import { isEnglish, type SttCapabilities, type SttEngine, type SttEvent, type SttOptions } from "../types.js";
import { SessionEvents } from "./session-events.js";
import { type SessionHandlers, SessionPool } from "./session-pool.js";
import type { RecognizerWorkerData } from "./worker-protocol.js";

export interface PocketSphinxOptions {
  /** Worker threads at most; each decodes on one CPU core. Default 2. */
  poolSize?: number;
  /**
   * Recognitions one worker hosts at once, each with its own decoder (about 49 MB and 0.27 s of CPU to
   * create for open vocabulary, see `SphinxDecoder`). The worker first decodes the rest of any
   * recognition whose audio has ended, and lets the others take turns a quarter second at a time (see
   * DecodeQueue), so a slow or long stream does not hold up the others. Default 3: one stream decodes at
   * about 0.2–0.25 of real time, so three live streams keep a core about three-quarters busy; a
   * recognition takes a place only while its user speaks, so eight conversations rarely need more than
   * six places at once, and each place left out saves a decoder's memory (bench/realtime at N = 8: about
   * 19 instead of 31 MB per session).
   */
  sessionsPerWorker?: number;
  /**
   * Decoders of each kind (open vocabulary, grammar) a worker keeps loaded while no recognition uses
   * them, so that a new recognition need not wait for one to be created. Default `sessionsPerWorker`:
   * every decoder made is kept.
   */
  idleDecodersPerWorker?: number;
  /**
   * Open-vocabulary decoders a worker creates ahead of need while it has no recognition (one is made
   * at start). Default 2.
   */
  warmDecodersPerWorker?: number;
  /**
   * Recognitions waiting (FIFO) when every worker hosts `sessionsPerWorker`; one more is refused with the
   * AppError `service_unavailable` (HTTP 503). An aborted recognition leaves the queue at once. Default 32.
   */
  maxWaitingSessions?: number;
  /** Extra PocketSphinx arguments (`{"-beam": "1e-60"}`), for tuning. */
  decoderArgs?: Record<string, string>;
  /** Starts a worker thread. Default: `./worker.ts`; tests substitute a scripted one (fault injection). */
  startWorker?: (workerData: RecognizerWorkerData) => Worker;
}

/**
 * Audio of one session sent to its worker and not decoded yet, at most (10 s, as much as a real-time
 * session's input backlog may hold): beyond it the sender stops reading its audio until the worker
 * catches up. The worker, not this bound, shares its time between sessions (see DecodeQueue), so a
 * stream's audio, and so its end, reaches the worker as soon as it arrives.
 */
const MAX_SAMPLES_IN_FLIGHT = 160_000;

/**
 * PocketSphinx with the en-US model, in worker threads so that the event loop stays free. A recognition
 * takes a place on a worker (see {@link SessionPool}) only once its first audio arrives, and gives it back
 * when it ends, fails or is cancelled. Its audio goes to the worker as it arrives, up to
 * MAX_SAMPLES_IN_FLIGHT ahead of the decoder (flow control).
 */
export class PocketSphinxEngine implements SttEngine {
  readonly name = "pocketsphinx";
  readonly capabilities: SttCapabilities;
  private readonly pool: SessionPool;
  private sessions = 0;

  constructor(options: PocketSphinxOptions = {}) {
    const sessionsPerWorker = options.sessionsPerWorker ?? 3;
    const poolSize = options.poolSize ?? 2;
    this.capabilities = {
      streaming: true,
      partialResults: true,
      sampleRatesHz: [16_000],
      languages: ["en-US"],
      grammars: true,
      parallelism: poolSize,
    };
    const workerData: RecognizerWorkerData = {
      decoderArgs: options.decoderArgs ?? {},
      idleDecoders: options.idleDecodersPerWorker ?? sessionsPerWorker,
      warmDecoders: options.warmDecodersPerWorker ?? 2,
    };
    const start = options.startWorker ?? startRecognizerWorker;
    this.pool = new SessionPool(
      {
        poolSize,
        sessionsPerWorker,
        maxWaitingSessions: options.maxWaitingSessions ?? 32,
      },
      () => start(workerData),
    );
  }

  /** Recognitions on workers, recognitions waiting for a place, and live workers, now. */
  get load(): { activeSessions: number; waitingSessions: number; workers: number } {
    return {
      activeSessions: this.pool.activeSessions,
      waitingSessions: this.pool.waitingSessions,
      workers: this.pool.workers,
    };
  }

  warmUp(): Promise<void> {
    return this.pool.warmUp();
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
    const source = audio[Symbol.asyncIterator]();
    let sourceOpen = true;
    const next = async (): Promise<Int16Array | undefined> => {
      const result = await unlessAborted(source.next(), signal);
      if (result.done === true) sourceOpen = false;
      return result.done === true ? undefined : result.value;
    };
    try {
      // No place on a worker until there is audio to decode.
      let first = await next();
      while (first?.length === 0) first = await next();
      if (first === undefined) {
        const grammar =
          options.jsgfGrammar !== undefined ||
          (options.expectedPhrases !== undefined && options.expectedPhrases.length > 0);
        yield { type: "final", text: "", words: [], confidence: 0, mode: grammar ? "grammar" : "open" };
        return;
      }
      yield* this.decode(first, next, options);
    } finally {
      if (sourceOpen) source.return?.().catch(() => undefined);
    }
  }

  private async *decode(
    first: Int16Array,
    next: () => Promise<Int16Array | undefined>,
    options: SttOptions,
  ): AsyncIterable<SttEvent> {
    const { signal } = options;
    const session = (this.sessions += 1);
    const events = new SessionEvents();
    let samplesInFlight = 0;
    let wakePump: (() => void) | undefined;
    const handlers: SessionHandlers = {
      onMessage: (message) => {
        if (message.type === "consumed") {
          samplesInFlight -= message.samples;
          wakePump?.();
        } else if (message.type === "partial") {
          events.push({ type: "partial", text: message.text });
        } else if (message.type === "final") {
          const { text, words, confidence, mode } = message;
          events.push({ type: "final", text, words, confidence, mode });
        } else {
          events.fail(new Error(`speech recognition failed: ${message.message}`));
        }
      },
      onFailure: (error) => events.fail(error),
    };
    const place = await this.pool.acquire(session, handlers, signal);
    let over = false;
    const onAbort = () => events.fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const finish = (cancel: boolean) => {
      if (over) return;
      over = true;
      wakePump?.();
      signal.removeEventListener("abort", onAbort);
      if (cancel) place.post({ type: "cancel", session });
      place.release();
    };
    const pump = async () => {
      for (let chunk: Int16Array | undefined = first; chunk !== undefined; chunk = await next()) {
        while (samplesInFlight >= MAX_SAMPLES_IN_FLIGHT && !over)
          await new Promise<void>((resolve) => (wakePump = resolve));
        if (over) return;
        if (chunk.length === 0) continue;
        samplesInFlight += chunk.length;
        place.post({ type: "audio", session, samples: ownBuffer(chunk) });
      }
      if (!over) place.post({ type: "end", session });
    };
    try {
      place.post({
        type: "start",
        session,
        ...(options.expectedPhrases === undefined ? {} : { expectedPhrases: options.expectedPhrases }),
        ...(options.jsgfGrammar === undefined ? {} : { jsgfGrammar: options.jsgfGrammar }),
      });
      pump().catch((error: unknown) => events.fail(error));
      for await (const event of events) {
        if (event.type === "final") {
          // The worker is done with the session: the place is free before the caller sees the result.
          finish(false);
          yield event;
          return;
        }
        yield event;
      }
    } finally {
      finish(true);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Starts the recognizer thread (`./worker.ts`). */
export function startRecognizerWorker(workerData: RecognizerWorkerData): Worker {
  const entry = workerEntry(import.meta.url, "worker");
  return new Worker(entry.filename, { ...entry.options, workerData });
}

/**
 * The chunk with a buffer of its own: posting a view into a larger buffer would copy all of that buffer
 * to the worker.
 */
function ownBuffer(chunk: Int16Array): Int16Array {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
}

/** `promise`, or the signal's reason as soon as it aborts (the promise's own failure is then dropped). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
