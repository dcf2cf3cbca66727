import { AppError } from "../../lib/app-error.js";

/** Decoded audio: one Float32Array (-1..1) per channel, all the same length. */
export interface PcmChunk {
  sampleRateHz: number;
  channels: Float32Array[];
}

export type AudioContainer = "wav" | "mp3" | "flac" | "pcm";

/** The API's `request_audio_config` (spec: UserMessageAudioConfig). */
export type RequestAudioConfig =
  { type: "pcm"; frame_rate: number; n_channels: number; sample_width: number } | { type: "mp3" };

/**
 * Audio that cannot be used: `unsupported_media_type` (HTTP 415) for an unknown, mislabeled or corrupt
 * format, `bad_request` (HTTP 400) for an empty body.
 */
export class AudioFormatError extends AppError {
  constructor(message: string, code: "unsupported_media_type" | "bad_request" = "unsupported_media_type") {
    super(code, message);
    this.name = "AudioFormatError";
  }
}

/** A streaming decoder: bytes in as they arrive, PCM out as soon as it is decoded. */
export type AudioDecoder = (
  input: AsyncIterable<Uint8Array>,
  options: { signal: AbortSignal },
) => AsyncIterable<PcmChunk>;
