import path from "node:path";

/**
 * The server's whole configuration, read once from the environment. This module is the only place in
 * the code base that reads `process.env`.
 */
export interface Config {
  /** Interface to listen on. Env `HOST`, default `127.0.0.1`. */
  host: string;
  /** TCP port; 0 picks a free one. Env `PORT`, default 8080. */
  port: number;
  /** Directory for the SQLite file, the JWT secret and credentials.env. Env `PARLEY_DATA_DIR`, default `./data`. */
  dataDir: string;
  /** `postgres://…` for PostgreSQL; unset means a SQLite file in the data dir. Env `DATABASE_URL`. */
  databaseUrl: string | undefined;
  /** HMAC secret for id tokens; generated and kept in the data dir when unset. Env `PARLEY_JWT_SECRET`. */
  jwtSecret: string | undefined;
  /** Lifetime of an id token. Env `PARLEY_TOKEN_TTL_SECONDS`, default 3600. */
  tokenTtlSeconds: number;
  /** When true, conversation endpoints answer 503. Env `PARLEY_MAINTENANCE_MODE`, default false. */
  maintenanceMode: boolean;
  /** Interactions a user may send per minute (the spec's 15). Env `PARLEY_INTERACTIONS_PER_MINUTE`, default 15. */
  interactionsPerMinute: number;
  /** Conversations a user may create per minute (the spec's 5). Env `PARLEY_CONVERSATION_CREATES_PER_MINUTE`, default 5. */
  conversationCreatesPerMinute: number;
  /**
   * The other operations' per-user limits, by operation id. Env `PARLEY_RATE_LIMITS`: unset uses each
   * operation's limit as the spec documents it; `off` turns them off; `get-users=100,create-agent=20`
   * replaces the named ones (the rest stay as documented).
   */
  rateLimits: RateLimitSettings;
  /** Failed sign-ins per API key id per minute before 429. Env `PARLEY_SIGNIN_FAILURES_PER_MINUTE`, default 5. */
  signinFailuresPerMinute: number;
  /** Largest accepted request body for voice messages. Env `PARLEY_MAX_AUDIO_BYTES`, default 25 MiB. */
  maxAudioBytes: number;
  /** A request body that sends nothing for this long is answered 408. Env `PARLEY_BODY_STALL_TIMEOUT_MS`, default 10000. */
  bodyStallTimeoutMs: number;
  /** A request body not complete after this long is answered 408. Env `PARLEY_BODY_TIMEOUT_MS`, default 300000. */
  bodyTimeoutMs: number;
  /**
   * A request body arriving slower than this on average, judged once `bodyStallTimeoutMs` has passed, is
   * answered 408. Env `PARLEY_BODY_MIN_BYTES_PER_SECOND`, default 1024 (MP3 at 8 kbit/s).
   */
  bodyMinBytesPerSecond: number;
  /** Largest text request body (JSON or multipart), 413 past it. Env `PARLEY_MAX_TEXT_BODY_BYTES`, default 1 MiB. */
  maxTextBodyBytes: number;
  /** Most parts (fields and files) in one multipart body, 413 past it. Env `PARLEY_MAX_MULTIPART_FIELDS`, default 100. */
  maxMultipartFields: number;
  /** Longest voice message, 413 past it. Env `PARLEY_MAX_AUDIO_DURATION_MS`, default 180000 (3 minutes). */
  maxAudioDurationMs: number;
  /** Voice messages one user may upload at once, 429 past it. Env `PARLEY_VOICE_NOTES_PER_USER`, default 2. */
  voiceNotesPerUser: number;
  /** How long a real-time session waits for `client.resume` after a drop. Env `PARLEY_RESUME_GRACE_MS`, default 30000. */
  resumeGraceMs: number;
  /** pino log level. Env `LOG_LEVEL`, default `info`. */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Skip creating the demo organization on first start. Env `PARLEY_NO_BOOTSTRAP`, default false. */
  skipBootstrap: boolean;
  /**
   * Fillers for slow agent steps. Env `PARLEY_FILLERS` (default true) turns them all off;
   * `PARLEY_FILLER_PHRASES` (phrases separated by `|`, default "One moment, please.|Let me check that.";
   * empty: steps without authored fillers get none) and `PARLEY_FILLER_TRIGGER_MS` (default 2000) serve
   * steps without authored fillers.
   */
  fillers: FillerSettings;
  engines: EngineConfig;
}

/** How fillers behave where the graph authors none (env `PARLEY_FILLER_*`). */
export interface FillerSettings {
  /** False: no fillers at all, authored or not. Default true. */
  enabled: boolean;
  /** Phrases for steps without authored fillers; empty: such steps get none. */
  defaultPhrases: string[];
  /** Milliseconds a step without an authored trigger runs before its filler. Default 2000. */
  defaultTriggerMs: number;
}

export const DEFAULT_FILLER_SETTINGS: FillerSettings = {
  enabled: true,
  defaultPhrases: ["One moment, please.", "Let me check that."],
  defaultTriggerMs: 2000,
};

/** Which implementation serves each engine kind, and its options. */
export interface EngineConfig {
  /** Env `PARLEY_STT_ENGINE`, default `pocketsphinx`. */
  stt: string;
  /**
   * PocketSphinx worker threads, each decoding on one core. Env `PARLEY_STT_WORKERS`, default 2.
   */
  sttWorkers: number;
  /**
   * Recognitions one PocketSphinx worker hosts at once, each with its own decoder (about 49 MB); more
   * wait in a queue. Workers × this is the most memory recognition takes. Env
   * `PARLEY_STT_SESSIONS_PER_WORKER`, default 3.
   */
  sttSessionsPerWorker: number;
  /** Env `PARLEY_TTS_ENGINE`, default `flite`. */
  tts: string;
  /** Voice used when an agent names none or an unknown one. Env `PARLEY_TTS_DEFAULT_VOICE`, default `flite:rms`. */
  ttsDefaultVoice: string;
  /** Env `PARLEY_VAD_ENGINE`, default `webrtc`. */
  vad: string;
  /** Env `PARLEY_AGENT_ENGINE`: `rules` (default), `openai` (chat completions) or `llama` (GGUF). */
  agent: string;
  /** Load and exercise engines at start so the first request is not slow. Env `PARLEY_WARMUP`, default true. */
  warmup: boolean;
  /**
   * Base URL of an OpenAI-compatible API including `/v1` (e.g. `http://127.0.0.1:11434/v1`), for the
   * `openai` engines. Env `OPENAI_BASE_URL`.
   */
  openaiBaseUrl: string | undefined;
  /** Env `OPENAI_API_KEY`; sent as `Authorization: Bearer …` when set. */
  openaiApiKey: string | undefined;
  /** Chat model for the `openai` agent. Env `OPENAI_MODEL`, default `gpt-4o-mini`. */
  openaiModel: string;
  /** Path of a GGUF model for the `llama` agent. Env `PARLEY_LLAMA_MODEL_PATH`. */
  llamaModelPath: string | undefined;
  /** Context size in tokens for the `llama` agent. Env `PARLEY_LLAMA_CONTEXT_SIZE`, default 4096. */
  llamaContextSize: number;
  /**
   * CPU threads for the `llama` agent; 0 means half the cores, at least 1 (llama.cpp's threads spin, so
   * more threads than free cores slow it down many times). Env `PARLEY_LLAMA_THREADS`, default 0.
   */
  llamaThreads: number;
  /** Let node-llama-cpp use a GPU (`auto`) or not (`false`). Env `PARLEY_LLAMA_GPU`, default `false`. */
  llamaGpu: "auto" | "false";
  /**
   * How the LLM agent makes structured choices (exits, decisions, tool parameters): `json_schema`
   * (`response_format` with a JSON schema) or `tool_call` (a forced function call). Env
   * `PARLEY_LLM_STRUCTURED_OUTPUT`, default `json_schema`.
   */
  llmStructuredOutput: "json_schema" | "tool_call";
  /**
   * Longest wait, in ms, for a model server's response headers and between two streamed chunks.
   * Env `PARLEY_LLM_TIMEOUT_MS`, default 30000.
   */
  llmTimeoutMs: number;
  /** Retries of a request that got 429, 5xx or no connection. Env `PARLEY_LLM_MAX_RETRIES`, default 2. */
  llmMaxRetries: number;
  /** Tokens the model may write per reply. Env `PARLEY_LLM_MAX_TOKENS`, default 300. */
  llmMaxTokens: number;
  /**
   * When the configured agent fails at run time before its reply began, answer that turn with the
   * `rules` agent. Env `PARLEY_AGENT_FALLBACK`, default false.
   */
  agentFallback: boolean;
  /** Speech servers for the `openai` STT/TTS engines; default `OPENAI_BASE_URL`. Env `PARLEY_STT_BASE_URL`. */
  sttBaseUrl: string | undefined;
  /** Env `PARLEY_STT_API_KEY`, default `OPENAI_API_KEY`. */
  sttApiKey: string | undefined;
  /** Transcription model. Env `PARLEY_STT_MODEL`, default `whisper-1`. */
  sttModel: string;
  /** Languages the `openai` STT accepts (`|`-separated, `*` for any). Env `PARLEY_STT_LANGUAGES`, default `en`. */
  sttLanguages: string[];
  /**
   * Partial results from the `openai` STT: transcribe the audio so far every this many ms of audio
   * (each a request); 0 turns them off. Env `PARLEY_STT_PARTIAL_EVERY_MS`, default 0.
   */
  sttPartialEveryMs: number;
  /** Ask the speech server to stream its transcript (`stream=true`). Env `PARLEY_STT_STREAM`, default false. */
  sttStream: boolean;
  /** When the `openai` STT fails, recognize that utterance with PocketSphinx. Env `PARLEY_STT_FALLBACK`, default false. */
  sttFallback: boolean;
  /** Env `PARLEY_TTS_BASE_URL`, default `OPENAI_BASE_URL`. */
  ttsBaseUrl: string | undefined;
  /** Env `PARLEY_TTS_API_KEY`, default `OPENAI_API_KEY`. */
  ttsApiKey: string | undefined;
  /** Speech model. Env `PARLEY_TTS_MODEL`, default `tts-1`. */
  ttsModel: string;
  /** Voices the server offers (`|`-separated; the first is the default). Env `PARLEY_TTS_VOICES`, default `alloy`. */
  ttsVoices: string[];
  /** When the `openai` TTS fails, speak that reply with Flite. Env `PARLEY_TTS_FALLBACK`, default false. */
  ttsFallback: boolean;
  /** Longest wait, in ms, for a speech server's answer. Env `PARLEY_SPEECH_TIMEOUT_MS`, default 30000. */
  speechTimeoutMs: number;
  /** JSON file of HTTP tools agents may call (see README). Env `PARLEY_TOOLS_FILE`. */
  toolsFile: string | undefined;
  /** Timeout, in ms, of a tool that names none. Env `PARLEY_TOOL_TIMEOUT_MS`, default 10000. */
  toolTimeoutMs: number;
  /** Start the demo's open-slots tool endpoint (on 127.0.0.1). Env `PARLEY_DEMO_TOOL`, default true. */
  demoTool: boolean;
  /** How long, in ms, the demo tool takes to answer (to hear fillers). Env `PARLEY_DEMO_TOOL_DELAY_MS`, default 0. */
  demoToolDelayMs: number;
}

/** See {@link Config.rateLimits}. */
export interface RateLimitSettings {
  enabled: boolean;
  /** Requests per minute by operation id, replacing the spec's. */
  perMinute: Record<string, number>;
}

/** `PARLEY_RATE_LIMITS`: unset, `off`, or `operation-id=N` pairs separated by commas. */
function rateLimitSettings(env: Env, name: string): RateLimitSettings {
  const raw = (env[name] ?? "").trim();
  if (raw === "") return { enabled: true, perMinute: {} };
  if (raw.toLowerCase() === "off") return { enabled: false, perMinute: {} };
  const perMinute: Record<string, number> = {};
  for (const entry of raw.split(",")) {
    const match = /^\s*([a-z0-9_-]+)\s*=\s*(\d+)\s*$/.exec(entry);
    if (match === null || Number(match[2]) < 1) {
      throw new ConfigError(name, `must be "off" or operation-id=N pairs (N >= 1), got "${entry.trim()}"`);
    }
    perMinute[match[1]!] = Number(match[2]);
  }
  return { enabled: true, perMinute };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === "" ? fallback : value;
}

function optionalText(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const normalized = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(normalized)) return true;
  if (["0", "false", "no", "off"].includes(normalized)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = text(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

/** `PARLEY_FILLER_PHRASES`: unset gives the defaults; set but empty gives none. At most 5, 200 characters each. */
function fillerPhrases(env: Env): string[] {
  const raw = env.PARLEY_FILLER_PHRASES;
  if (raw === undefined) return [...DEFAULT_FILLER_SETTINGS.defaultPhrases];
  const phrases = raw
    .split("|")
    .map((phrase) => phrase.trim())
    .filter((phrase) => phrase !== "");
  if (phrases.length > 5) throw new ConfigError("PARLEY_FILLER_PHRASES", "must hold at most 5 phrases");
  if (phrases.some((phrase) => phrase.length > 200))
    throw new ConfigError("PARLEY_FILLER_PHRASES", "phrases must be at most 200 characters");
  return phrases;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Reads and validates the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = optionalText(env, "DATABASE_URL");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must start with postgres:// (leave it unset for the SQLite file)");
  }
  return {
    host: text(env, "HOST", "127.0.0.1"),
    port: integer(env, "PORT", 8080, 0, 65535),
    dataDir: path.resolve(text(env, "PARLEY_DATA_DIR", "./data")),
    databaseUrl,
    jwtSecret: optionalText(env, "PARLEY_JWT_SECRET"),
    tokenTtlSeconds: integer(env, "PARLEY_TOKEN_TTL_SECONDS", 3600, 60, 30 * 24 * 3600),
    maintenanceMode: boolean(env, "PARLEY_MAINTENANCE_MODE", false),
    interactionsPerMinute: integer(env, "PARLEY_INTERACTIONS_PER_MINUTE", 15, 1, 1_000_000),
    conversationCreatesPerMinute: integer(env, "PARLEY_CONVERSATION_CREATES_PER_MINUTE", 5, 1, 1_000_000),
    rateLimits: rateLimitSettings(env, "PARLEY_RATE_LIMITS"),
    signinFailuresPerMinute: integer(env, "PARLEY_SIGNIN_FAILURES_PER_MINUTE", 5, 1, 1_000_000),
    maxAudioBytes: integer(env, "PARLEY_MAX_AUDIO_BYTES", 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    bodyStallTimeoutMs: integer(env, "PARLEY_BODY_STALL_TIMEOUT_MS", 10_000, 100, 600_000),
    bodyTimeoutMs: integer(env, "PARLEY_BODY_TIMEOUT_MS", 300_000, 1000, 3_600_000),
    bodyMinBytesPerSecond: integer(env, "PARLEY_BODY_MIN_BYTES_PER_SECOND", 1024, 0, 1024 * 1024 * 1024),
    maxTextBodyBytes: integer(env, "PARLEY_MAX_TEXT_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxMultipartFields: integer(env, "PARLEY_MAX_MULTIPART_FIELDS", 100, 4, 100_000),
    maxAudioDurationMs: integer(env, "PARLEY_MAX_AUDIO_DURATION_MS", 180_000, 1000, 3_600_000),
    voiceNotesPerUser: integer(env, "PARLEY_VOICE_NOTES_PER_USER", 2, 1, 1000),
    resumeGraceMs: integer(env, "PARLEY_RESUME_GRACE_MS", 30_000, 1000, 600_000),
    logLevel: oneOf(env, "LOG_LEVEL", "info", LOG_LEVELS),
    skipBootstrap: boolean(env, "PARLEY_NO_BOOTSTRAP", false),
    fillers: {
      enabled: boolean(env, "PARLEY_FILLERS", DEFAULT_FILLER_SETTINGS.enabled),
      defaultPhrases: fillerPhrases(env),
      defaultTriggerMs: integer(
        env,
        "PARLEY_FILLER_TRIGGER_MS",
        DEFAULT_FILLER_SETTINGS.defaultTriggerMs,
        100,
        10_000,
      ),
    },
    engines: {
      stt: text(env, "PARLEY_STT_ENGINE", "pocketsphinx"),
      sttWorkers: integer(env, "PARLEY_STT_WORKERS", 2, 1, 64),
      sttSessionsPerWorker: integer(env, "PARLEY_STT_SESSIONS_PER_WORKER", 3, 1, 32),
      tts: text(env, "PARLEY_TTS_ENGINE", "flite"),
      ttsDefaultVoice: text(env, "PARLEY_TTS_DEFAULT_VOICE", "flite:rms"),
      vad: text(env, "PARLEY_VAD_ENGINE", "webrtc"),
      agent: text(env, "PARLEY_AGENT_ENGINE", "rules"),
      warmup: boolean(env, "PARLEY_WARMUP", true),
      openaiBaseUrl: optionalText(env, "OPENAI_BASE_URL"),
      openaiApiKey: optionalText(env, "OPENAI_API_KEY"),
      openaiModel: text(env, "OPENAI_MODEL", "gpt-4o-mini"),
      llamaModelPath: optionalText(env, "PARLEY_LLAMA_MODEL_PATH"),
      llamaContextSize: integer(env, "PARLEY_LLAMA_CONTEXT_SIZE", 4096, 256, 131_072),
      llamaThreads: integer(env, "PARLEY_LLAMA_THREADS", 0, 0, 256),
      llamaGpu: oneOf(env, "PARLEY_LLAMA_GPU", "false", ["auto", "false"] as const),
      llmStructuredOutput: oneOf(env, "PARLEY_LLM_STRUCTURED_OUTPUT", "json_schema", [
        "json_schema",
        "tool_call",
      ] as const),
      llmTimeoutMs: integer(env, "PARLEY_LLM_TIMEOUT_MS", 30_000, 100, 600_000),
      llmMaxRetries: integer(env, "PARLEY_LLM_MAX_RETRIES", 2, 0, 10),
      llmMaxTokens: integer(env, "PARLEY_LLM_MAX_TOKENS", 300, 16, 8192),
      agentFallback: boolean(env, "PARLEY_AGENT_FALLBACK", false),
      sttBaseUrl: optionalText(env, "PARLEY_STT_BASE_URL") ?? optionalText(env, "OPENAI_BASE_URL"),
      sttApiKey: optionalText(env, "PARLEY_STT_API_KEY") ?? optionalText(env, "OPENAI_API_KEY"),
      sttModel: text(env, "PARLEY_STT_MODEL", "whisper-1"),
      sttLanguages: text(env, "PARLEY_STT_LANGUAGES", "en")
        .split("|")
        .map((v) => v.trim())
        .filter((v) => v !== ""),
      sttPartialEveryMs: integer(env, "PARLEY_STT_PARTIAL_EVERY_MS", 0, 0, 60_000),
      sttStream: boolean(env, "PARLEY_STT_STREAM", false),
      sttFallback: boolean(env, "PARLEY_STT_FALLBACK", false),
      ttsBaseUrl: optionalText(env, "PARLEY_TTS_BASE_URL") ?? optionalText(env, "OPENAI_BASE_URL"),
      ttsApiKey: optionalText(env, "PARLEY_TTS_API_KEY") ?? optionalText(env, "OPENAI_API_KEY"),
      ttsModel: text(env, "PARLEY_TTS_MODEL", "tts-1"),
      ttsVoices: text(env, "PARLEY_TTS_VOICES", "alloy")
        .split("|")
        .map((v) => v.trim())
        .filter((v) => v !== ""),
      ttsFallback: boolean(env, "PARLEY_TTS_FALLBACK", false),
      speechTimeoutMs: integer(env, "PARLEY_SPEECH_TIMEOUT_MS", 30_000, 100, 600_000),
      toolsFile: optionalText(env, "PARLEY_TOOLS_FILE"),
      toolTimeoutMs: integer(env, "PARLEY_TOOL_TIMEOUT_MS", 10_000, 1, 600_000),
      demoTool: boolean(env, "PARLEY_DEMO_TOOL", true),
      demoToolDelayMs: integer(env, "PARLEY_DEMO_TOOL_DELAY_MS", 0, 0, 600_000),
    },
  };
}
