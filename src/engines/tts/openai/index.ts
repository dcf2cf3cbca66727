import type { Config } from "../../../config/config.js";
import { openAiSpeechEndpoint } from "../../openai-http.js";
import { OpenAiTtsEngine } from "./engine.js";

/** The `openai` synthesizer: an OpenAI-compatible `/v1/audio/speech` server. */
export function createOpenAiTtsEngine(config: Config, warn: (message: string) => void): OpenAiTtsEngine {
  const engines = config.engines;
  return new OpenAiTtsEngine({
    endpoint: openAiSpeechEndpoint("TTS", {
      baseUrl: engines.ttsBaseUrl,
      apiKey: engines.ttsApiKey,
      timeoutMs: engines.speechTimeoutMs,
      maxRetries: engines.llmMaxRetries,
    }),
    model: engines.ttsModel,
    voices: engines.ttsVoices,
    warn,
  });
}
