import type { Config } from "../../../config/config.js";
import { openAiSpeechEndpoint } from "../../openai-http.js";
import { OpenAiSttEngine } from "./engine.js";

/** The `openai` recognizer: a Whisper-compatible `/v1/audio/transcriptions` server. */
export function createOpenAiSttEngine(config: Config): OpenAiSttEngine {
  const engines = config.engines;
  return new OpenAiSttEngine({
    endpoint: openAiSpeechEndpoint("STT", {
      baseUrl: engines.sttBaseUrl,
      apiKey: engines.sttApiKey,
      timeoutMs: engines.speechTimeoutMs,
      maxRetries: engines.llmMaxRetries,
    }),
    model: engines.sttModel,
    languages: engines.sttLanguages,
    partialEveryMs: engines.sttPartialEveryMs,
    stream: engines.sttStream,
  });
}
