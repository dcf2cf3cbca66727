import type { RecognizedWord } from "../types.js";

/**
 * Messages from the main thread to an STT worker. A worker hosts several recognition sessions at once,
 * each with its own decoder; `session` (unique per engine) says which one a message is for. Audio is
 * queued in the worker and decoded in the order DecodeQueue gives. Messages of a session the worker no
 * longer has (cancelled, failed) are ignored, apart from the `consumed` receipt for audio.
 */
export type ToWorker =
  | { type: "start"; session: number; expectedPhrases?: string[]; jsgfGrammar?: string }
  | { type: "audio"; session: number; samples: Int16Array }
  | { type: "end"; session: number }
  | { type: "cancel"; session: number };

/**
 * Messages from an STT worker to the main thread. `ready` once the worker has loaded its first decoder;
 * `consumed` counts audio samples the worker is done with (decoded, or dropped after the session failed),
 * each sample once, for the sender's flow control; after a `cancel` the worker sends none.
 */
export type FromWorker =
  | { type: "ready" }
  | { type: "consumed"; session: number; samples: number }
  | { type: "partial"; session: number; text: string }
  | {
      type: "final";
      session: number;
      text: string;
      words: RecognizedWord[];
      confidence: number;
      mode: "open" | "grammar";
    }
  | { type: "error"; session: number; message: string };

/** What a worker is started with (`workerData`). */
export interface RecognizerWorkerData {
  /** Extra PocketSphinx arguments. */
  decoderArgs: Record<string, string>;
  /** Decoders of each kind (open, grammar) kept loaded while no session uses them; the rest are freed. */
  idleDecoders: number;
  /** Open-vocabulary decoders the worker creates ahead of need while it has no session. */
  warmDecoders: number;
}
