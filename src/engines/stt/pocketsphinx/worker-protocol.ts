import type { RecognizedWord } from "../types.js";

/**
 * Messages from the main thread to an STT worker. `session` numbers each utterance so that audio a
 * cancelled request still sends is ignored by the next one.
 */
export type ToWorker =
  | { type: "start"; session: number; expectedPhrases?: string[]; jsgfGrammar?: string }
  | { type: "audio"; session: number; samples: Int16Array }
  | { type: "end"; session: number }
  | { type: "cancel"; session: number };

/** Messages from an STT worker to the main thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "partial"; text: string }
  | { type: "final"; text: string; words: RecognizedWord[]; confidence: number; mode: "open" | "grammar" }
  | { type: "error"; message: string };
