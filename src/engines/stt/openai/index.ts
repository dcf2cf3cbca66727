import type { Config } from "../../../config/config.js";
import { OpenAiSttEngine } from "./engine.js";

/** The `openai` recognizer: a Whisper-compatible `/v1/audio/transcriptions` server. */
export function createOpenAiSttEngine(config: Config): OpenAiSttEngine {
  const engines = config.engines;
  if (engines.sttBaseUrl === undefined) {
    throw new Error('PARLEY_STT_ENGINE="openai" needs PARLEY_STT_BASE_URL (or OPENAI_BASE_URL)');
  }
  if (!/^https?:\/\//.test(engines.sttBaseUrl)) {
    throw new Error(`PARLEY_STT_BASE_URL="${engines.sttBaseUrl}" must start with http:// or https://`);
  }
  return new OpenAiSttEngine({
    endpoint: {
      baseUrl: engines.sttBaseUrl,
      apiKey: engines.sttApiKey,
      timeoutMs: engines.speechTimeoutMs,
      maxRetries: engines.llmMaxRetries,
      setting: "PARLEY_STT_BASE_URL",
    },
    model: engines.sttModel,
    languages: engines.sttLanguages,
    partialEveryMs: engines.sttPartialEveryMs,
    stream: engines.sttStream,
  });
}
