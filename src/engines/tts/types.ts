/**
 * Text-to-speech contract. Text in (a whole reply or a stream of text deltas), one audio chunk out per
 * sentence as soon as that sentence is synthesized, 16-bit mono PCM with per-character timings. An
 * engine may speak the reply's first sentence as two chunks, its first clause and the rest, so that
 * the first audio comes sooner (Flite does).
 */
export interface TtsCapabilities {
  streaming: boolean;
  sampleRatesHz: number[];
  languages: string[];
  /** Namespaced voice ids, e.g. `flite:rms`. */
  voices: string[];
}

export interface TtsChunk {
  samples: Int16Array;
  sampleRateHz: number;
  /** The text this chunk speaks. */
  text: string;
  /** Each character of `text` with its time in ms from the start of the whole reply's audio. */
  characterTimings: [number, string][];
  /** Where this chunk starts, in ms from the start of the whole reply's audio. */
  startMs: number;
}

export interface TtsOptions {
  signal: AbortSignal;
  /** A namespaced voice id; an unknown one falls back to the engine's default voice. */
  voiceId?: string;
  language?: string;
}

export interface TtsEngine {
  readonly name: string;
  readonly capabilities: TtsCapabilities;
  synthesize(text: AsyncIterable<string> | string, options: TtsOptions): AsyncIterable<TtsChunk>;
  warmUp?(): Promise<void>;
  close?(): Promise<void>;
}
