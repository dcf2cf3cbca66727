import { AppError } from "../lib/app-error.js";
import { type InterruptionSettings, interruptionSettings } from "./backchannel-filter.js";
import { DEFAULT_VAD_SETTINGS, type VadSettings } from "./turn-detector.js";

/** Input audio of a session: PCM16 little-endian mono at `frame_rate`. */
export interface InputAudioConfig {
  type: "pcm";
  frame_rate: number;
  n_channels: 1;
  sample_width: 2;
}

export type ClientMessage =
  | {
      type: "client.start-conversation";
      service_id?: string;
      service_version_set_name?: string;
      conversation_id?: string;
      vad_mode?: boolean;
      vad?: Partial<VadSettings>;
      request_audio_config?: InputAudioConfig;
      idle_timeout_s?: number;
      initial_message?: string;
      initial_message_type?: "user-message" | "external-event";
      /** How speech over the agent is judged (backchannels, false interruptions). */
      interruption?: InterruptionSettings;
      /** Take the agent's own echo out of the input. Default true. */
      echo_rejection?: boolean;
    }
  | { type: "client.new-text-message"; text: string; message_type?: "user-message" | "external-event" }
  | { type: "client.new-audio-message"; audio: string | null }
  | { type: "client.switch-vad-mode"; vad_mode: boolean; vad?: Partial<VadSettings> }
  | { type: "client.extend-timeout"; seconds?: number }
  | { type: "client.playback-position"; message_id: string; played_ms: number }
  | { type: "client.resume"; conversation_id: string; resume_token: string; last_seq: number }
  | { type: "client.interrupt" }
  | { type: "client.finish-conversation" }
  | { type: "client.close-connection" };

/** Close codes of the real-time protocol (see docs/realtime.md). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolMisuse: 1008,
  tooLarge: 1009,
  internal: 1011,
  overloaded: 1013,
  /** The old socket of a session resumed on a new one. */
  resumedElsewhere: 4409,
} as const;

const invalid = (message: string) =>
  new AppError("unprocessable", message, {
    detail: [{ loc: ["message"], msg: message, type: "value_error" }],
  });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`${name} must be a string`);
  return value;
}

/** VAD settings merged over `base`; each value checked (422 for a bad one). */
export function vadSettings(raw: unknown, base: VadSettings = DEFAULT_VAD_SETTINGS): VadSettings {
  if (raw === undefined || raw === null) return base;
  if (!isObject(raw)) throw invalid("vad must be an object");
  const number = (name: keyof VadSettings, min: number, max: number): number => {
    const value = raw[name];
    if (value === undefined) return base[name] as number;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      throw invalid(`vad.${name} must be a number from ${min} to ${max}`);
    }
    return value;
  };
  const interrupt = raw.interrupt_response;
  if (interrupt !== undefined && typeof interrupt !== "boolean")
    throw invalid("vad.interrupt_response must be a boolean");
  return {
    threshold: number("threshold", 0, 1),
    prefix_padding_ms: number("prefix_padding_ms", 0, 2000),
    silence_duration_ms: number("silence_duration_ms", 100, 5000),
    min_speech_ms: number("min_speech_ms", 0, 2000),
    interrupt_response: interrupt ?? base.interrupt_response,
  };
}

function audioConfig(raw: unknown): InputAudioConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw) || raw.type !== "pcm") throw invalid("request_audio_config.type must be pcm");
  const rate = raw.frame_rate;
  if (typeof rate !== "number" || !Number.isInteger(rate) || rate < 8000 || rate > 48_000) {
    throw invalid("request_audio_config.frame_rate must be an integer from 8000 to 48000");
  }
  if ((raw.n_channels ?? 1) !== 1) throw invalid("request_audio_config.n_channels must be 1");
  if ((raw.sample_width ?? 2) !== 2) throw invalid("request_audio_config.sample_width must be 2");
  return { type: "pcm", frame_rate: rate, n_channels: 1, sample_width: 2 };
}

/** A client message from its JSON text; 422 for anything malformed (the session says so, non-fatally). */
export function parseClientMessage(text: string): ClientMessage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid("the message is not JSON");
  }
  if (!isObject(body) || typeof body.type !== "string") throw invalid("the message needs a string type");
  switch (body.type) {
    case "client.start-conversation": {
      const timeout = body.idle_timeout_s;
      if (timeout !== undefined && (typeof timeout !== "number" || timeout < 2 || timeout > 600)) {
        throw invalid("idle_timeout_s must be a number from 2 to 600");
      }
      const initialType = body.initial_message_type;
      if (initialType !== undefined && initialType !== "user-message" && initialType !== "external-event") {
        throw invalid("initial_message_type must be user-message or external-event");
      }
      const vadMode = body.vad_mode;
      if (vadMode !== undefined && typeof vadMode !== "boolean") throw invalid("vad_mode must be a boolean");
      const echoRejection = body.echo_rejection;
      if (echoRejection !== undefined && typeof echoRejection !== "boolean")
        throw invalid("echo_rejection must be a boolean");
      return {
        type: body.type,
        ...definedFields({
          service_id: optionalString(body, "service_id"),
          service_version_set_name: optionalString(body, "service_version_set_name"),
          conversation_id: optionalString(body, "conversation_id"),
          vad_mode: vadMode,
          vad: body.vad === undefined ? undefined : vadSettings(body.vad),
          request_audio_config: audioConfig(body.request_audio_config),
          idle_timeout_s: timeout,
          initial_message: optionalString(body, "initial_message"),
          initial_message_type: initialType,
          interruption: body.interruption === undefined ? undefined : interruptionSettings(body.interruption),
          echo_rejection: echoRejection,
        }),
      };
    }
    case "client.new-text-message": {
      const text = optionalString(body, "text");
      if (text === undefined || text.trim() === "") throw invalid("text must be a non-empty string");
      const kind = body.message_type ?? "user-message";
      if (kind !== "user-message" && kind !== "external-event") {
        throw invalid("message_type must be user-message or external-event");
      }
      return { type: body.type, text, message_type: kind };
    }
    case "client.new-audio-message": {
      const audio = body.audio;
      if (audio !== null && typeof audio !== "string") throw invalid("audio must be base64 text or null");
      return { type: body.type, audio };
    }
    case "client.switch-vad-mode": {
      if (typeof body.vad_mode !== "boolean") throw invalid("vad_mode must be a boolean");
      return {
        type: body.type,
        vad_mode: body.vad_mode,
        ...(body.vad === undefined ? {} : { vad: vadSettings(body.vad) }),
      };
    }
    case "client.extend-timeout": {
      const seconds = body.seconds;
      if (seconds !== undefined && (typeof seconds !== "number" || seconds <= 0 || seconds > 600)) {
        throw invalid("seconds must be a number from 1 to 600");
      }
      return { type: body.type, ...definedFields({ seconds: seconds }) };
    }
    case "client.playback-position": {
      const played = body.played_ms;
      const messageId = optionalString(body, "message_id");
      if (messageId === undefined || typeof played !== "number" || !Number.isFinite(played) || played < 0) {
        throw invalid("playback-position needs message_id and played_ms ≥ 0");
      }
      return { type: body.type, message_id: messageId, played_ms: played };
    }
    case "client.resume": {
      const conversationId = optionalString(body, "conversation_id");
      const token = optionalString(body, "resume_token");
      const lastSeq = body.last_seq;
      if (conversationId === undefined || token === undefined) {
        throw invalid("client.resume needs conversation_id and resume_token");
      }
      if (typeof lastSeq !== "number" || !Number.isInteger(lastSeq) || lastSeq < 0) {
        throw invalid("last_seq must be an integer ≥ 0");
      }
      return { type: body.type, conversation_id: conversationId, resume_token: token, last_seq: lastSeq };
    }
    case "client.interrupt":
    case "client.finish-conversation":
    case "client.close-connection":
      return { type: body.type };
    default:
      throw invalid(`unknown message type ${body.type}`);
  }
}

/** The fields that have a value (optional properties must be absent, not undefined). */
function definedFields<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** The WebSocket close code of a fatal error: 4000 + its HTTP status, as docs/realtime.md lists. */
export function closeCodeOf(error: AppError): number {
  if (error.httpStatus >= 500 && error.code !== "service_unavailable") return CLOSE.internal;
  return 4000 + error.httpStatus;
}
