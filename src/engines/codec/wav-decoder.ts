import { AudioFormatError, type PcmChunk } from "./types.js";

/** Header bytes we read at most before the audio data must begin (bounded work on garbage). */
const MAX_HEADER_BYTES = 1 << 20;

interface WavFormat {
  formatTag: number;
  channelCount: number;
  sampleRateHz: number;
  bitsPerSample: number;
  blockAlign: number;
}

function parseFmt(chunk: Buffer): WavFormat {
  if (chunk.length < 16) throw new AudioFormatError("WAV fmt chunk is too short");
  let formatTag = chunk.readUInt16LE(0);
  const channelCount = chunk.readUInt16LE(2);
  const sampleRateHz = chunk.readUInt32LE(4);
  const blockAlign = chunk.readUInt16LE(12);
  const bitsPerSample = chunk.readUInt16LE(14);
  // WAVE_FORMAT_EXTENSIBLE carries the real format in the sub-format GUID's first two bytes.
  if (formatTag === 0xfffe && chunk.length >= 26) formatTag = chunk.readUInt16LE(24);
  const format = { formatTag, channelCount, sampleRateHz, bitsPerSample, blockAlign };
  const integer = formatTag === 1 && [8, 16, 24, 32].includes(bitsPerSample);
  const float = formatTag === 3 && (bitsPerSample === 32 || bitsPerSample === 64);
  if (!integer && !float) {
    throw new AudioFormatError(`WAV sample format ${formatTag} with ${bitsPerSample} bits is not supported`);
  }
  if (channelCount < 1 || channelCount > 8)
    throw new AudioFormatError(`WAV with ${channelCount} channels is not supported`);
  if (sampleRateHz < 1000 || sampleRateHz > 384_000)
    throw new AudioFormatError(`WAV sample rate ${sampleRateHz} Hz is not supported`);
  if (blockAlign !== (channelCount * bitsPerSample) / 8)
    throw new AudioFormatError("WAV block alignment is inconsistent");
  return format;
}

/** Reads one sample kind from interleaved bytes; a loop per format keeps the hot path branch-free. */
function convert(data: Buffer, format: WavFormat): PcmChunk {
  const frames = Math.floor(data.length / format.blockAlign);
  const bytesPerSample = format.bitsPerSample / 8;
  const channelCount = format.channelCount;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  for (let c = 0; c < channelCount; c += 1) {
    const out = channels[c]!;
    let at = c * bytesPerSample;
    const step = format.blockAlign;
    if (format.formatTag === 3 && bytesPerSample === 4) {
      for (let f = 0; f < frames; f += 1, at += step) out[f] = view.getFloat32(at, true);
    } else if (format.formatTag === 3) {
      for (let f = 0; f < frames; f += 1, at += step) out[f] = view.getFloat64(at, true);
    } else if (bytesPerSample === 1) {
      for (let f = 0; f < frames; f += 1, at += step) out[f] = (data[at]! - 128) / 128;
    } else if (bytesPerSample === 2) {
      for (let f = 0; f < frames; f += 1, at += step) out[f] = view.getInt16(at, true) / 32768;
    } else if (bytesPerSample === 3) {
      for (let f = 0; f < frames; f += 1, at += step) {
        out[f] = (((data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16)) << 8) >> 8) / 8388608;
      }
    } else {
      for (let f = 0; f < frames; f += 1, at += step) out[f] = view.getInt32(at, true) / 2147483648;
    }
  }
  return { sampleRateHz: format.sampleRateHz, channels };
}

/**
 * Streaming WAV decoder: integer PCM (8/16/24/32-bit), float (32/64-bit), extensible headers, any rate,
 * 1–8 channels. A data chunk of size 0 or 0xFFFFFFFF (streamed writers) runs to the end of the input.
 */
export async function* decodeWav(
  input: AsyncIterable<Uint8Array>,
  options: { signal: AbortSignal },
): AsyncIterable<PcmChunk> {
  let buffer = Buffer.alloc(0);
  let offset = 0;
  let format: WavFormat | undefined;
  let dataRemaining: number | undefined;
  let inData = false;
  let producedFrames = 0;

  for await (const piece of input) {
    options.signal.throwIfAborted();
    buffer = Buffer.concat([buffer.subarray(offset), piece]);
    offset = 0;
    if (!inData) {
      if (buffer.length >= 12) {
        const tag = buffer.toString("ascii", 0, 4);
        if ((tag !== "RIFF" && tag !== "RF64") || buffer.toString("ascii", 8, 12) !== "WAVE") {
          throw new AudioFormatError("Not a WAV file");
        }
      }
      if (buffer.length < 12) continue;
      offset = 12;
      while (buffer.length - offset >= 8) {
        const id = buffer.toString("ascii", offset, offset + 4);
        const size = buffer.readUInt32LE(offset + 4);
        if (id === "data") {
          if (format === undefined) throw new AudioFormatError("WAV data before its format");
          offset += 8;
          inData = true;
          dataRemaining = size === 0 || size === 0xffffffff ? undefined : size;
          break;
        }
        if (size > MAX_HEADER_BYTES) throw new AudioFormatError(`WAV chunk "${id}" is implausibly large`);
        if (buffer.length - offset < 8 + size + (size % 2)) break;
        if (id === "fmt ") format = parseFmt(buffer.subarray(offset + 8, offset + 8 + size));
        offset += 8 + size + (size % 2);
      }
      if (!inData) {
        if (buffer.length > MAX_HEADER_BYTES)
          throw new AudioFormatError("No audio data in the first megabyte of the WAV file");
        // Keep the unparsed rest, including the RIFF header, for the next piece.
        offset = 0;
        continue;
      }
    }
    if (format === undefined) throw new AudioFormatError("WAV data before its format");
    let available = buffer.length - offset;
    if (dataRemaining !== undefined) available = Math.min(available, dataRemaining);
    const usable = available - (available % format.blockAlign);
    if (usable > 0) {
      const chunk = convert(buffer.subarray(offset, offset + usable), format);
      offset += usable;
      if (dataRemaining !== undefined) dataRemaining -= usable;
      producedFrames += chunk.channels[0]!.length;
      yield chunk;
    }
    if (dataRemaining !== undefined && dataRemaining < format.blockAlign) {
      // The declared data is complete; whatever follows (other chunks) is not audio.
      buffer = Buffer.alloc(0);
      offset = 0;
    }
  }
  if (!inData) {
    throw new AudioFormatError(
      buffer.length === 0 ? "The audio is empty" : "The WAV file ends before its audio data",
      buffer.length === 0 ? "bad_request" : "unsupported_media_type",
    );
  }
  if (dataRemaining !== undefined && dataRemaining >= (format?.blockAlign ?? 1)) {
    throw new AudioFormatError("The WAV file is truncated: it ends before its declared data size");
  }
  if (producedFrames === 0) throw new AudioFormatError("The WAV file holds no audio", "bad_request");
}
