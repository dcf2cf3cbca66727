import type { IncomingMessage } from "node:http";
import { Busboy } from "@fastify/busboy";
import type { RequestAudioConfig } from "../../engines/codec/types.js";
import { AppError } from "../../lib/app-error.js";
import { AsyncQueue } from "../../lib/async-queue.js";
import { validationError } from "../request-helpers.js";

/** Caps a body stream: 413 past `maxBytes`, 408 when no bytes arrive for `stallMs`. */
export async function* limitBody(
  source: AsyncIterable<Uint8Array>,
  limits: { maxBytes: number; stallMs: number },
): AsyncIterable<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let total = 0;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError("request_timeout", `The request body stalled for ${limits.stallMs} ms`)),
        limits.stallMs,
      );
    });
    try {
      const next = await Promise.race([iterator.next(), stalled]);
      if (next.done === true) return;
      total += next.value.length;
      if (total > limits.maxBytes)
        throw new AppError("payload_too_large", `The audio is larger than ${limits.maxBytes} bytes`);
      yield next.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface VoiceUpload {
  audio: AsyncIterable<Uint8Array>;
  contentType: string | undefined;
  /** Text fields of a multipart body (complete once the audio has been read). */
  fields: Map<string, string[]>;
}

/**
 * The recording of a voice message as a stream: the whole body (`audio/*`, octet-stream) or the
 * `recorded_message` part of a multipart body, read as it arrives.
 */
export function openVoiceUpload(raw: IncomingMessage): VoiceUpload {
  const contentType = raw.headers["content-type"];
  const fields = new Map<string, string[]>();
  if (!(contentType ?? "").startsWith("multipart/form-data")) {
    return { audio: raw, contentType, fields };
  }
  const audio = new AsyncQueue<Uint8Array>();
  const upload: VoiceUpload = { audio, contentType: undefined, fields };
  let sawRecording = false;
  const busboy = Busboy({ headers: raw.headers as { "content-type": string } });
  busboy.on("field", (name, value) => fields.set(name, [...(fields.get(name) ?? []), value]));
  busboy.on("file", (name, stream, _filename, _encoding, mimeType) => {
    if (name !== "recorded_message" || sawRecording) {
      stream.resume();
      return;
    }
    sawRecording = true;
    upload.contentType = mimeType;
    stream.on("data", (chunk: Buffer) => audio.push(chunk));
    stream.on("end", () => audio.close());
  });
  busboy.on("finish", () => {
    if (!sawRecording)
      audio.fail(new AppError("bad_request", "The multipart body has no recorded_message audio part"));
  });
  busboy.on("error", (error) =>
    audio.fail(new AppError("unprocessable", "Malformed multipart body", { cause: error })),
  );
  raw.on("aborted", () => audio.fail(new AppError("bad_request", "The upload was interrupted")));
  raw.pipe(busboy);
  return upload;
}

/** `request_audio_config` from the query string (JSON), validated. */
export function parseAudioConfig(raw: unknown): RequestAudioConfig | undefined {
  if (raw === undefined || raw === "" || raw === "null") return undefined;
  let parsed: unknown;
  try {
    parsed = typeof raw === "string" ? JSON.parse(raw) : raw;
  } catch {
    throw validationError(["query", "request_audio_config"], "must be JSON");
  }
  const config = parsed as Record<string, unknown>;
  if (config.type === "mp3") return { type: "mp3" };
  if (config.type === "pcm") {
    const number = (name: string) => {
      const value = config[name];
      if (!Number.isInteger(value))
        throw validationError(["query", "request_audio_config", name], "must be an integer");
      return value as number;
    };
    return {
      type: "pcm",
      frame_rate: number("frame_rate"),
      n_channels: number("n_channels"),
      sample_width: number("sample_width"),
    };
  }
  throw validationError(["query", "request_audio_config", "type"], "must be pcm or mp3");
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
