/**
 * Speech-to-text contract. Audio in is 16 kHz mono signed 16-bit PCM in chunks of any size; events out
 * are partial hypotheses while audio arrives and exactly one `final` after the input ends.
 */
export interface SttCapabilities {
  streaming: boolean;
  partialResults: boolean;
  /** Sample rates the engine takes; the pipeline resamples to one of them. */
  sampleRatesHz: number[];
  /** BCP 47 tags (or ISO 639-3 codes) the engine recognizes. */
  languages: string[];
  /** True when `expectedPhrases` restricts recognition to them (grammar mode). */
  grammars: boolean;
  /**
   * Recognitions the engine works on at the same time on separate cores (default 1). Above 1, the
   * pipeline recognizes an utterance's phrases side by side (`recognizeInParallelPhrases`).
   */
  parallelism?: number;
}

export interface RecognizedWord {
  word: string;
  /** From the start of the audio. */
  startMs: number;
  endMs: number;
  /** Posterior probability, 0..1, when the engine knows it. */
  confidence?: number;
}

export type SttEvent =
  | { type: "partial"; text: string }
  | {
      type: "final";
      text: string;
      words: RecognizedWord[];
      confidence: number;
      mode: "open" | "grammar";
      /** The engine that recognized it, when not the one asked (a fallback); absent otherwise. */
      engine?: string;
    };

export interface SttOptions {
  signal: AbortSignal;
  /** Language of the speech; default English. An unsupported one is a `bad_request` AppError. */
  language?: string;
  /** Phrases the user is expected to say: recognition uses a grammar of exactly these. */
  expectedPhrases?: string[];
  /** A complete JSGF grammar (takes precedence over `expectedPhrases`). */
  jsgfGrammar?: string;
}

export interface SttEngine {
  readonly name: string;
  readonly capabilities: SttCapabilities;
  /**
   * Recognizes one audio stream. An engine with limited decoders takes one only once audio arrives and
   * gives it back when the stream ends, fails or is aborted; when it has none to give, the recognition
   * waits (and the `signal` ends the wait) or, past the engine's documented bound, fails with the
   * AppError `service_unavailable`. Aborting the signal ends the iteration with the signal's reason.
   */
  recognize(audio: AsyncIterable<Int16Array>, options: SttOptions): AsyncIterable<SttEvent>;
  /** Loads models so that the first request is not slow. */
  warmUp?(): Promise<void>;
  close?(): Promise<void>;
}

const ENGLISH = new Set(["en", "en-us", "en-gb", "eng", "english"]);

/** True for the language tags PocketSphinx's en-US model (and the fakes) serve. */
export function isEnglish(language: string | undefined): boolean {
  return language === undefined || ENGLISH.has(language.toLowerCase());
}
