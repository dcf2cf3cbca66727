import { afterAll } from "vitest";
import { OpenAiTtsEngine } from "../../src/engines/tts/openai/engine.js";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import type { SttEngine } from "../../src/engines/stt/types.js";
import { addSpeechRoutes, SPEECH_VOICES } from "../helpers/openai-compatible-speech.js";
import { startOpenAiCompatibleServer } from "../helpers/openai-compatible-server.js";
import { runContract } from "./tts.js";

// An OpenAI-compatible speech server in the test, speaking with Flite behind the wire format.
const server = await startOpenAiCompatibleServer();
const flite = new FliteEngine();
addSpeechRoutes(server, { stt: undefined as unknown as SttEngine, tts: flite });
afterAll(async () => {
  await server.close();
  await flite.close();
});

runContract(
  "openai-compatible speech",
  () =>
    new OpenAiTtsEngine({
      endpoint: {
        baseUrl: server.baseUrl,
        apiKey: "sk-test",
        timeoutMs: 30_000,
        maxRetries: 1,
        setting: "PARLEY_TTS_BASE_URL",
      },
      model: "tts-1",
      voices: Object.keys(SPEECH_VOICES),
    }),
);
