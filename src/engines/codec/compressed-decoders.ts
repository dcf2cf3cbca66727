import { FLACDecoder } from "@wasm-audio-decoders/flac";
import { MPEGDecoder } from "mpg123-decoder";
import { AudioFormatError, type PcmChunk } from "./types.js";

interface DecodedAudio {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: unknown[];
}

/** Bytes of input without a single decoded sample before we call it undecodable (bounded work). */
const MAX_BYTES_WITHOUT_AUDIO = 256 * 1024;

/**
 * Frame errors tolerated mid-stream before a stream counts as garbage: random bytes hold chance frame
 * syncs that decode to noise, with about as many broken frames as good ones or more, while a real file
 * has next to none. Past this many errors, a stream with more errors than decoded frames is refused (415)
 * at once; at its end, any stream with at least as many errors as frames is (a few chance frames of noise
 * would otherwise reach the recognizer, which may hear a word in them).
 */
const MIN_ERRORS_FOR_GARBAGE = 8;
const MAX_SAMPLES_PER_FRAME = 1152;

/** Frames behind `samples` decoded samples, counted at most 1152 samples each (so never too many). */
const framesIn = (samples: number) => samples / MAX_SAMPLES_PER_FRAME;

function mostlyUndecodable(label: string, frameErrors: number): AudioFormatError {
  return new AudioFormatError(`The ${label} audio is mostly undecodable (${frameErrors} broken frames)`);
}

function toChunk(decoded: DecodedAudio): PcmChunk | undefined {
  if (decoded.samplesDecoded === 0 || decoded.channelData.length === 0) return undefined;
  if (decoded.sampleRate < 1000 || decoded.sampleRate > 384_000)
    throw new AudioFormatError("Implausible sample rate");
  return {
    sampleRateHz: decoded.sampleRate,
    channels: decoded.channelData.map((c) =>
      c.length === decoded.samplesDecoded ? c : c.subarray(0, decoded.samplesDecoded),
    ),
  };
}

async function* decodeWith(
  input: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  label: string,
  decode: (bytes: Uint8Array) => Promise<DecodedAudio> | DecodedAudio,
  flush: () => Promise<DecodedAudio | undefined>,
): AsyncIterable<PcmChunk> {
  let bytesSinceAudio = 0;
  let producedAny = false;
  let sawInput = false;
  let frameErrors = 0;
  let samplesDecoded = 0;
  for await (const piece of input) {
    signal.throwIfAborted();
    if (piece.length === 0) continue;
    sawInput = true;
    let decoded: DecodedAudio;
    try {
      decoded = await decode(piece);
    } catch (error) {
      throw new AudioFormatError(
        `The ${label} audio could not be decoded: ${error instanceof Error ? error.message : "error"}`,
      );
    }
    frameErrors += decoded.errors.length;
    samplesDecoded += decoded.samplesDecoded;
    if (frameErrors >= MIN_ERRORS_FOR_GARBAGE && frameErrors > framesIn(samplesDecoded)) {
      throw mostlyUndecodable(label, frameErrors);
    }
    const chunk = toChunk(decoded);
    if (chunk !== undefined) {
      producedAny = true;
      bytesSinceAudio = 0;
      yield chunk;
    } else {
      bytesSinceAudio += piece.length;
      if (!producedAny && bytesSinceAudio > MAX_BYTES_WITHOUT_AUDIO) {
        throw new AudioFormatError(`No ${label} audio found in the first ${MAX_BYTES_WITHOUT_AUDIO} bytes`);
      }
    }
  }
  let tail: DecodedAudio | undefined;
  try {
    tail = await flush();
  } catch {
    tail = undefined;
  }
  if (tail !== undefined) {
    frameErrors += tail.errors.length;
    samplesDecoded += tail.samplesDecoded;
  }
  if (frameErrors > 0 && frameErrors >= framesIn(samplesDecoded)) throw mostlyUndecodable(label, frameErrors);
  const last = tail === undefined ? undefined : toChunk(tail);
  if (last !== undefined) {
    producedAny = true;
    yield last;
  }
  if (!sawInput) throw new AudioFormatError("The audio is empty", "bad_request");
  if (!producedAny) throw new AudioFormatError(`The ${label} audio could not be decoded`);
}

/** Streaming MP3 (MPEG-1/2 layer I–III) decoder on mpg123 compiled to WASM. */
export async function* decodeMp3(
  input: AsyncIterable<Uint8Array>,
  options: { signal: AbortSignal },
): AsyncIterable<PcmChunk> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    yield* decodeWith(
      input,
      options.signal,
      "MP3",
      (bytes) => decoder.decode(bytes),
      () => Promise.resolve(undefined),
    );
  } finally {
    decoder.free();
  }
}

/** Streaming FLAC decoder (libFLAC compiled to WASM). */
export async function* decodeFlac(
  input: AsyncIterable<Uint8Array>,
  options: { signal: AbortSignal },
): AsyncIterable<PcmChunk> {
  const decoder = new FLACDecoder();
  await decoder.ready;
  try {
    yield* decodeWith(
      input,
      options.signal,
      "FLAC",
      (bytes) => decoder.decode(bytes),
      () => decoder.flush(),
    );
  } finally {
    decoder.free();
  }
}
