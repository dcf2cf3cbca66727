import type { PcmChunk } from "../engines/codec/types.js";
import { encodeWavFile } from "../engines/codec/encoders.js";
import { AsyncQueue } from "../lib/async-queue.js";
import { joinSamples } from "../lib/samples.js";
import { floatToInt16, MonoResampler } from "../pipeline/stages/resample.js";

export const SESSION_RATE_HZ = 16_000;
/** Audio kept for prefix padding. */
const HISTORY_MS = 2000;

/** Little-endian PCM16 bytes as samples (an odd trailing byte is dropped). */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(Math.floor(bytes.length / 2));
  const view = new DataView(bytes.buffer, bytes.byteOffset, samples.length * 2);
  for (let i = 0; i < samples.length; i += 1) samples[i] = view.getInt16(i * 2, true);
  return samples;
}

/** Brings input audio to 16 kHz, in order (one resampler per session, made on first use). */
export class InputResampler {
  private resampler: MonoResampler | undefined;

  constructor(private readonly inputRateHz: number) {}

  async process(samples: Int16Array): Promise<Int16Array> {
    if (this.inputRateHz === SESSION_RATE_HZ) return samples;
    this.resampler ??= await MonoResampler.create(this.inputRateHz, SESSION_RATE_HZ);
    return floatToInt16(this.resampler.process(Float32Array.from(samples, (s) => s / 32768)));
  }

  close(): void {
    this.resampler?.destroy();
  }
}

/** The last two seconds of input, to give an utterance its prefix padding. */
export class AudioHistory {
  private readonly chunks: { startSample: number; samples: Int16Array }[] = [];
  /** Samples received since the session started. */
  totalSamples = 0;

  push(samples: Int16Array): void {
    this.chunks.push({ startSample: this.totalSamples, samples });
    this.totalSamples += samples.length;
    const keepFrom = this.totalSamples - (SESSION_RATE_HZ * HISTORY_MS) / 1000;
    while (
      this.chunks.length > 0 &&
      this.chunks[0]!.startSample + this.chunks[0]!.samples.length < keepFrom
    ) {
      this.chunks.shift();
    }
  }

  /** The samples from `fromMs` (session time) to now. */
  since(fromMs: number): Int16Array {
    const fromSample = Math.round((fromMs * SESSION_RATE_HZ) / 1000);
    return joinSamples(
      this.chunks
        .filter((c) => c.startSample + c.samples.length > fromSample)
        .map((c) => c.samples.subarray(Math.max(0, fromSample - c.startSample))),
    );
  }

  nowMs(): number {
    return (this.totalSamples * 1000) / SESSION_RATE_HZ;
  }
}

/**
 * One user utterance on its way to the recognizer: audio goes in as it arrives (`push`), the recognizer
 * reads `pcm`; the samples are kept to store the utterance as the message's recording (WAV). The queue
 * holds what the recognizer has not read yet; the session's input limit (10 s of unprocessed audio)
 * bounds it.
 */
export class Utterance {
  private readonly queue = new AsyncQueue<PcmChunk>();
  private readonly kept: Int16Array[] = [];
  private endedAt = 0;
  readonly controller = new AbortController();

  constructor(readonly id: string) {}

  get pcm(): AsyncIterable<PcmChunk> {
    return this.queue;
  }

  push(samples: Int16Array): void {
    if (this.endedAt > 0 || samples.length === 0) return;
    this.kept.push(samples);
    this.queue.push({
      sampleRateHz: SESSION_RATE_HZ,
      channels: [Float32Array.from(samples, (s) => s / 32768)],
    });
  }

  end(): void {
    if (this.endedAt > 0) return;
    this.endedAt = performance.now();
    this.queue.close();
  }

  cancel(reason: unknown): void {
    this.queue.fail(reason);
    this.controller.abort(reason);
  }

  inputEndedAt(): number {
    return this.endedAt;
  }

  durationMs(): number {
    return (this.kept.reduce((n, s) => n + s.length, 0) * 1000) / SESSION_RATE_HZ;
  }

  recording(): { bytes: Uint8Array; mimeType: string } {
    return { bytes: encodeWavFile(joinSamples(this.kept), SESSION_RATE_HZ), mimeType: "audio/wav" };
  }
}
