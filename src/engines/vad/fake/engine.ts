import { framesOf, type VadEngine, type VadFrame } from "../types.js";

/** A fake VAD for pipeline tests: a frame is speech when its RMS level exceeds a fixed threshold. */
export class EnergyVadEngine implements VadEngine {
  readonly name = "energy";
  readonly frameDurationMs = 20;
  readonly capabilities = { sampleRatesHz: [16_000], graded: true };

  constructor(private readonly rmsThreshold = 700) {}

  async *process(
    audio: AsyncIterable<Int16Array>,
    options: { signal: AbortSignal },
  ): AsyncIterable<VadFrame> {
    let index = 0;
    for await (const frame of framesOf(audio, 320)) {
      options.signal.throwIfAborted();
      let sum = 0;
      for (const sample of frame) sum += sample * sample;
      const rms = Math.sqrt(sum / frame.length);
      yield { startMs: index * 20, durationMs: 20, probability: Math.min(1, rms / (2 * this.rmsThreshold)) };
      index += 1;
    }
  }
}
