import SpeexResampler from "@echogarden/speex-resampler-wasm/simd";
import type { PcmChunk } from "../../engines/codec/types.js";

interface SpeexModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _speex_resampler_init(
    channels: number,
    inRate: number,
    outRate: number,
    quality: number,
    errPointer: number,
  ): number;
  _speex_resampler_process_float(
    state: number,
    channel: number,
    input: number,
    inLen: number,
    output: number,
    outLen: number,
  ): number;
  _speex_resampler_get_input_latency(state: number): number;
  _speex_resampler_skip_zeros(state: number): number;
  _speex_resampler_destroy(state: number): void;
  HEAPF32: Float32Array;
}

let modulePromise: Promise<SpeexModule> | undefined;
const speex = () => (modulePromise ??= (SpeexResampler as unknown as () => Promise<SpeexModule>)());

/** Speex quality 0..10; 3 keeps speech intact for 16 kHz recognition at a fraction of the cost of 5. */
const QUALITY = 3;
const BLOCK_SAMPLES = 4096;

/** A mono Speex resampler between two fixed rates (WASM; streaming, keeps its filter state). */
export class MonoResampler {
  private inputSamples = 0;
  private outputSamples = 0;

  private constructor(
    private readonly module: SpeexModule,
    private readonly state: number,
    private readonly ratio: number,
    private readonly buffers: { input: number; output: number; lengths: number; outputCapacity: number },
  ) {}

  static async create(inRateHz: number, outRateHz: number): Promise<MonoResampler> {
    const module = await speex();
    const err = module._malloc(4);
    const state = module._speex_resampler_init(1, inRateHz, outRateHz, QUALITY, err);
    module._free(err);
    if (state === 0) throw new Error(`Cannot resample ${inRateHz} Hz to ${outRateHz} Hz`);
    // Drop the filter's leading delay so output sample n lines up with input time n / outRate.
    module._speex_resampler_skip_zeros(state);
    const ratio = outRateHz / inRateHz;
    const outputCapacity = Math.ceil(BLOCK_SAMPLES * ratio) + 64;
    return new MonoResampler(module, state, ratio, {
      input: module._malloc(BLOCK_SAMPLES * 4),
      output: module._malloc(outputCapacity * 4),
      lengths: module._malloc(8),
      outputCapacity,
    });
  }

  process(samples: Float32Array): Float32Array {
    const result = this.run(samples);
    this.inputSamples += samples.length;
    this.outputSamples += result.length;
    return result;
  }

  private run(samples: Float32Array): Float32Array {
    const out: Float32Array[] = [];
    const { module, buffers } = this;
    for (let start = 0; start < samples.length;) {
      const block = samples.subarray(start, start + BLOCK_SAMPLES);
      module.HEAPF32.set(block, buffers.input / 4);
      const lengths = new Uint32Array(module.HEAPF32.buffer, buffers.lengths, 2);
      lengths[0] = block.length;
      lengths[1] = buffers.outputCapacity;
      module._speex_resampler_process_float(
        this.state,
        0,
        buffers.input,
        buffers.lengths,
        buffers.output,
        buffers.lengths + 4,
      );
      const after = new Uint32Array(module.HEAPF32.buffer, buffers.lengths, 2);
      const consumed = after[0]!;
      const produced = after[1]!;
      out.push(module.HEAPF32.slice(buffers.output / 4, buffers.output / 4 + produced));
      start += consumed > 0 ? consumed : block.length;
    }
    return concatFloat(out);
  }

  /** Pushes out what the filter still holds, so the total output is input length × rate ratio. */
  flush(): Float32Array {
    const latency = this.module._speex_resampler_get_input_latency(this.state);
    const tail = this.run(new Float32Array(latency * 2));
    const missing = Math.max(0, Math.round(this.inputSamples * this.ratio) - this.outputSamples);
    return tail.subarray(0, Math.min(missing, tail.length));
  }

  destroy(): void {
    this.module._free(this.buffers.input);
    this.module._free(this.buffers.output);
    this.module._free(this.buffers.lengths);
    this.module._speex_resampler_destroy(this.state);
  }
}

export function concatFloat(parts: Float32Array[]): Float32Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

export function downmix(chunk: PcmChunk): Float32Array {
  if (chunk.channels.length === 1) return chunk.channels[0]!;
  const mono = new Float32Array(chunk.channels[0]!.length);
  for (const channel of chunk.channels)
    for (let i = 0; i < mono.length; i += 1) mono[i]! += channel[i]! / chunk.channels.length;
  return mono;
}

export function floatToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) {
    const v = Math.max(-1, Math.min(1, samples[i]!));
    out[i] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
  }
  return out;
}

/** Decoded audio of any rate and channel count → 16-bit mono at `targetRateHz`, streaming. */
export async function* toMonoInt16(
  chunks: AsyncIterable<PcmChunk>,
  targetRateHz = 16_000,
): AsyncIterable<Int16Array> {
  let resampler: MonoResampler | undefined;
  let inputRateHz: number | undefined;
  try {
    for await (const chunk of chunks) {
      const mono = downmix(chunk);
      if (inputRateHz === undefined) {
        inputRateHz = chunk.sampleRateHz;
        if (inputRateHz !== targetRateHz) resampler = await MonoResampler.create(inputRateHz, targetRateHz);
      }
      const out = resampler === undefined ? mono : resampler.process(mono);
      if (out.length > 0) yield floatToInt16(out);
    }
    if (resampler !== undefined) {
      const tail = resampler.flush();
      if (tail.length > 0) yield floatToInt16(tail);
    }
  } finally {
    resampler?.destroy();
  }
}
