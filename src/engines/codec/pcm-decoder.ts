import { AudioFormatError, type PcmChunk, type RequestAudioConfig } from "./types.js";

/** Checks a `request_audio_config` of type pcm: 4000..44100 Hz, 1 or 2 channels, 2- or 4-byte samples. */
export function validatePcmConfig(config: RequestAudioConfig): {
  sampleRateHz: number;
  channelCount: number;
  sampleWidthBytes: 2 | 4;
} {
  if (config.type !== "pcm") throw new AudioFormatError("request_audio_config is not raw PCM");
  const { frame_rate: rate, n_channels: channels, sample_width: width } = config;
  if (!Number.isInteger(rate) || rate < 4000 || rate > 44_100)
    throw new AudioFormatError("frame_rate must be 4000..44100", "bad_request");
  if (channels !== 1 && channels !== 2)
    throw new AudioFormatError("n_channels must be 1 or 2", "bad_request");
  if (width !== 2 && width !== 4) throw new AudioFormatError("sample_width must be 2 or 4", "bad_request");
  return { sampleRateHz: rate, channelCount: channels, sampleWidthBytes: width };
}

/** Raw little-endian signed PCM as described by `request_audio_config`. */
export function pcmDecoder(config: RequestAudioConfig) {
  const { sampleRateHz, channelCount, sampleWidthBytes } = validatePcmConfig(config);
  const frameBytes = channelCount * sampleWidthBytes;
  return async function* decodePcm(
    input: AsyncIterable<Uint8Array>,
    options: { signal: AbortSignal },
  ): AsyncIterable<PcmChunk> {
    let rest = Buffer.alloc(0);
    let produced = false;
    for await (const piece of input) {
      options.signal.throwIfAborted();
      const bytes = Buffer.concat([rest, piece]);
      const frames = Math.floor(bytes.length / frameBytes);
      rest = bytes.subarray(frames * frameBytes);
      if (frames === 0) continue;
      const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
      for (let f = 0; f < frames; f += 1) {
        for (let c = 0; c < channelCount; c += 1) {
          const at = f * frameBytes + c * sampleWidthBytes;
          channels[c]![f] =
            sampleWidthBytes === 2 ? bytes.readInt16LE(at) / 32768 : bytes.readInt32LE(at) / 2147483648;
        }
      }
      produced = true;
      yield { sampleRateHz, channels };
    }
    if (!produced) throw new AudioFormatError("The audio is empty", "bad_request");
  };
}
