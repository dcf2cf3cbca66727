import { describe, expect, it } from "vitest";
import { openAiSpeechEndpoint } from "./openai-http.js";

describe("openAiSpeechEndpoint", () => {
  const settings = { apiKey: "k", timeoutMs: 1000, maxRetries: 2 };

  it("names the engine's base URL setting in the endpoint and in its startup errors", () => {
    expect(openAiSpeechEndpoint("TTS", { ...settings, baseUrl: "http://127.0.0.1:9/v1" })).toEqual({
      ...settings,
      baseUrl: "http://127.0.0.1:9/v1",
      setting: "PARLEY_TTS_BASE_URL",
    });
    expect(() => openAiSpeechEndpoint("STT", { ...settings, baseUrl: undefined })).toThrow(
      'PARLEY_STT_ENGINE="openai" needs PARLEY_STT_BASE_URL (or OPENAI_BASE_URL)',
    );
    expect(() => openAiSpeechEndpoint("TTS", { ...settings, baseUrl: "ftp://host/v1" })).toThrow(
      'PARLEY_TTS_BASE_URL="ftp://host/v1" must start with http:// or https://',
    );
  });
});
