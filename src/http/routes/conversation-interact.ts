import type { FastifyRequest } from "fastify";
import type { InteractionInput } from "../../conversation/service.js";
import type { RequestAudioConfig } from "../../engines/codec/types.js";
import { containerFromContentType } from "../../engines/codec/sniff.js";
import { decodeUpload } from "../../engines/codec/decode-upload.js";
import { AppError } from "../../lib/app-error.js";
import { bodyLimitsFor } from "../body-stream.js";
import type { AppDeps } from "../deps.js";
import { readInteractBody } from "./interact-body.js";
import type { AppState } from "../deps.js";
import { openVoiceUpload } from "./voice-body.js";

/**
 * The user's side of an interaction as the service takes it: a text body (read whole, within the text
 * limits), or a voice message decoded as it uploads (within the audio limits; read only as fast as the
 * recognizer takes it, once the service has accepted the interaction).
 */
export async function readInteraction(
  deps: AppDeps,
  state: AppState,
  request: FastifyRequest,
  query: { request_format: "text" | "voice"; request_audio_config?: RequestAudioConfig | null },
  signal: AbortSignal,
): Promise<InteractionInput> {
  const maxParts = deps.config.maxMultipartFields;
  if (query.request_format === "text") {
    const body = await readInteractBody(request.raw, request.body, {
      limits: bodyLimitsFor(deps.config, "text"),
      maxParts,
      signal,
      api: state.api,
    });
    return {
      format: "text",
      kind: body.initial_message_type,
      text: body.recorded_message,
      externalEvents: body.external_event_message_content.map((text, index) => ({
        text,
        timestamp: body.external_event_message_timestamp[index] ?? "",
      })),
    };
  }
  const audioConfig = audioConfigOf(query.request_audio_config);
  const declared = request.headers["content-type"] ?? "";
  if (!declared.startsWith("multipart/form-data") && containerFromContentType(declared) === "unsupported") {
    throw new AppError(
      "unsupported_media_type",
      `A voice message cannot be sent as ${declared.split(";")[0]}`,
    );
  }
  const upload = openVoiceUpload(request.raw, {
    limits: bodyLimitsFor(deps.config, "audio"),
    maxParts,
    signal,
  });
  const decoded = decodeUpload({ body: upload.audio, contentType: upload.contentType, audioConfig, signal });
  return {
    format: "voice",
    message: {
      pcm: decoded.pcm,
      recording: () => ({
        bytes: decoded.bytes(),
        mimeType: upload.contentType ?? "application/octet-stream",
      }),
      inputEndedAt: () => decoded.endedAt(),
    },
  };
}

/** The validated `request_audio_config` as the decoder takes it (`type` defaults to `mp3` in the spec). */
function audioConfigOf(
  config: RequestAudioConfig | { type?: undefined } | null | undefined,
): RequestAudioConfig | undefined {
  if (config == null) return undefined;
  if (config.type === "pcm") return config;
  return { type: "mp3" };
}
