import type { Config } from "../../../config/config.js";
import { OpenAiTtsEngine } from "./engine.js";

/** The `openai` synthesizer: an OpenAI-compatible `/v1/audio/speech` server. */
export function createOpenAiTtsEngine(config: Config, warn: (message: string) => void): OpenAiTtsEngine {
  const engines = config.engines;
  if (engines.ttsBaseUrl === undefined) {
    throw new Error('PARLEY_TTS_ENGINE="openai" needs PARLEY_TTS_BASE_URL (or OPENAI_BASE_URL)');
  }
  if (!/^https?:\/\//.test(engines.ttsBaseUrl)) {
    throw new Error(`PARLEY_TTS_BASE_URL="${engines.ttsBaseUrl}" must start with http:// or https://`);
  }
  return new OpenAiTtsEngine({
    endpoint: {
      baseUrl: engines.ttsBaseUrl,
      apiKey: engines.ttsApiKey,
      timeoutMs: engines.speechTimeoutMs,
      maxRetries: engines.llmMaxRetries,
      setting: "PARLEY_TTS_BASE_URL",
    },
    model: engines.ttsModel,
    voices: engines.ttsVoices,
    warn,
  });
}
