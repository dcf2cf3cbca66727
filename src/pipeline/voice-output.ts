import { encodeMp3Piece, encodeWavFile } from "../engines/codec/encoders.js";
import type { TtsEngine } from "../engines/tts/types.js";
import { MonoResampler, floatToInt16 } from "./stages/resample.js";

export type ReplyAudioFormat = "mp3" | "wav";

/** One audio piece of the reply: a standalone MP3 or WAV, its text and character timings. */
export interface AudioPiece {
  audio: Uint8Array;
  text: string;
  /** `[ms from the start of the reply's audio, character]` for each character the piece speaks. */
  alignment: [number, string][];
  durationMs: number;
}

const OUTPUT_RATE_HZ = 16_000;

async function to16k(samples: Int16Array, rateHz: number): Promise<Int16Array> {
  if (rateHz === OUTPUT_RATE_HZ) return samples;
  const resampler = await MonoResampler.create(rateHz, OUTPUT_RATE_HZ);
  try {
    const floats = Float32Array.from(samples, (s) => s / 32768);
    const out = resampler.process(floats);
    const tail = resampler.flush();
    const joined = new Float32Array(out.length + tail.length);
    joined.set(out);
    joined.set(tail, out.length);
    return floatToInt16(joined);
  } finally {
    resampler.destroy();
  }
}

/**
 * Speaks a reply, given as a stream of text deltas, sentence by sentence: each synthesized sentence
 * becomes one piece (MP3: whole frames from a fresh encoder; WAV: a 16 kHz mono 16-bit file).
 */
export async function* renderReplyAudio(
  text: AsyncIterable<string>,
  options: { tts: TtsEngine; voiceId: string | undefined; format: ReplyAudioFormat; signal: AbortSignal },
): AsyncIterable<AudioPiece> {
  const chunks = options.tts.synthesize(text, {
    signal: options.signal,
    ...(options.voiceId === undefined ? {} : { voiceId: options.voiceId }),
  });
  for await (const chunk of chunks) {
    const samples = await to16k(chunk.samples, chunk.sampleRateHz);
    const audio =
      options.format === "mp3"
        ? await encodeMp3Piece(samples, OUTPUT_RATE_HZ)
        : encodeWavFile(samples, OUTPUT_RATE_HZ);
    yield {
      audio,
      text: chunk.text,
      alignment: chunk.characterTimings,
      durationMs: (samples.length * 1000) / OUTPUT_RATE_HZ,
    };
  }
}
