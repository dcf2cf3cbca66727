/** Speech probability of one frame of audio. */
export interface VadFrame {
  /** From the start of the audio. */
  startMs: number;
  durationMs: number;
  /** 0..1; engines that only decide give 0 or 1. */
  probability: number;
}

export interface VadCapabilities {
  sampleRatesHz: number[];
  /** True when probabilities are graded, not just 0 or 1. */
  graded: boolean;
}

/**
 * Voice activity detection: 16 kHz mono PCM in chunks of any size, a speech probability per frame out.
 * Hysteresis and endpointing are the pipeline's (see `pipeline/stages/endpointer.ts`).
 */
export interface VadEngine {
  readonly name: string;
  readonly frameDurationMs: number;
  readonly capabilities: VadCapabilities;
  process(audio: AsyncIterable<Int16Array>, options: { signal: AbortSignal }): AsyncIterable<VadFrame>;
}

/** Re-cuts a PCM stream into frames of exactly `frameSamples` (a trailing partial frame is dropped). */
export async function* framesOf(
  audio: AsyncIterable<Int16Array>,
  frameSamples: number,
): AsyncIterable<Int16Array> {
  let pending = new Int16Array(0);
  for await (const chunk of audio) {
    const joined = new Int16Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    let offset = 0;
    for (; offset + frameSamples <= joined.length; offset += frameSamples)
      yield joined.slice(offset, offset + frameSamples);
    pending = joined.slice(offset);
  }
}
