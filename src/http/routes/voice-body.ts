import type { IncomingMessage } from "node:http";
import { AsyncQueue } from "../../lib/async-queue.js";
import { type BodyLimits, limitBody, requestChunks } from "../body-stream.js";
import { readMultipart } from "../multipart.js";
import { validationError } from "../request-helpers.js";

export interface VoiceUpload {
  audio: AsyncIterable<Uint8Array>;
  contentType: string | undefined;
  /** Text fields of a multipart body (complete once the audio has been read). */
  fields: Map<string, string[]>;
}

/**
 * The recording of a voice message as a stream within `limits`: the whole body (`audio/*`,
 * octet-stream) or the `recorded_message` part of a multipart body, read as it arrives. Failures of the
 * body (limits, a malformed multipart, a missing audio part) end the audio stream with their error.
 * The audio queue holds what the decoder has not taken yet; the body's byte limit bounds it.
 */
export function openVoiceUpload(
  raw: IncomingMessage,
  options: { limits: BodyLimits; maxParts: number; signal: AbortSignal },
): VoiceUpload {
  const contentType = raw.headers["content-type"];
  const fields = new Map<string, string[]>();
  if (!(contentType ?? "").startsWith("multipart/form-data")) {
    return { audio: limitBody(requestChunks(raw), options.limits), contentType, fields };
  }
  const audio = new AsyncQueue<Uint8Array>();
  const upload: VoiceUpload = { audio, contentType: undefined, fields };
  let sawRecording = false;
  readMultipart(raw, {
    ...options,
    onFile: (name, stream, mimeType) => {
      if (name !== "recorded_message" || sawRecording) {
        stream.resume();
        return true;
      }
      sawRecording = true;
      upload.contentType = mimeType;
      stream.on("data", (chunk: Buffer) => audio.push(chunk));
      return true;
    },
  }).then(
    (collected) => {
      for (const [name, values] of collected) fields.set(name, values);
      if (!sawRecording) {
        audio.fail(validationError(["body", "recorded_message"], "is required (an audio file part)"));
      }
      audio.close();
    },
    (error: unknown) => audio.fail(error),
  );
  return upload;
}

/**
 * The reply's audio format: the Accept header (`audio/mpeg` → MP3, `audio/wav` → WAV), or for older
 * clients `audio_format=mp3|pcm` or `response_audio_format={"type":"mp3"|"pcm"}`; `pcm` means WAV
 * pieces. Default MP3.
 */
export function replyAudioFormat(accept: string | undefined, query: Record<string, unknown>): "mp3" | "wav" {
  const legacy = typeof query.audio_format === "string" ? query.audio_format : undefined;
  let legacyJson: string | undefined;
  if (typeof query.response_audio_format === "string") {
    try {
      legacyJson = String((JSON.parse(query.response_audio_format) as { type?: unknown }).type);
    } catch {
      throw validationError(["query", "response_audio_format"], "must be JSON");
    }
  }
  const named = legacy ?? legacyJson;
  if (named !== undefined) {
    if (named === "mp3") return "mp3";
    if (named === "pcm" || named === "wav") return "wav";
    throw validationError(["query", "audio_format"], "must be mp3 or pcm");
  }
  const types = (accept ?? "").toLowerCase();
  if (/audio\/(wav|x-wav|wave|vnd\.wave|pcm|l16)/.test(types)) return "wav";
  return "mp3";
}
