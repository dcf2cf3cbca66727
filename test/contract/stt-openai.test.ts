import { afterAll } from "vitest";
import { OpenAiSttEngine } from "../../src/engines/stt/openai/engine.js";
import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import { addSpeechRoutes } from "../helpers/openai-compatible-speech.js";
import { startOpenAiCompatibleServer } from "../helpers/openai-compatible-server.js";
import { runContract } from "./stt.js";

// A Whisper-compatible speech server in the test, recognizing with PocketSphinx behind the wire format.
const server = await startOpenAiCompatibleServer();
const behind = new PocketSphinxEngine({ poolSize: 1 });
const tts = new FliteEngine();
addSpeechRoutes(server, { stt: behind, tts });
afterAll(async () => {
  await server.close();
  await behind.close();
  await tts.close();
});

const engine = (stream: boolean) =>
  new OpenAiSttEngine({
    endpoint: {
      baseUrl: server.baseUrl,
      apiKey: undefined,
      timeoutMs: 30_000,
      maxRetries: 1,
      setting: "PARLEY_STT_BASE_URL",
    },
    model: "whisper-1",
    languages: ["en"],
    partialEveryMs: 1000,
    stream,
  });
const noGrammar = {
  test: "recognizes a closed set of phrases in grammar mode",
  reason: "the transcriptions API has no grammars (expected phrases go as a prompt hint)",
};
runContract("openai-compatible transcriptions (verbose_json)", () => engine(false), {
  maxLibrivoxWer: 0.35,
  maxCardsWer: 0.08,
  skip: [noGrammar],
});
runContract("openai-compatible transcriptions (streamed)", () => engine(true), {
  maxLibrivoxWer: 0.35,
  maxCardsWer: 0.08,
  skip: [
    noGrammar,
    {
      test: "word timings increase and lie within the audio",
      reason:
        "a streamed transcript has no timestamps; words are spread evenly (checked in the verbose suite)",
    },
    {
      test: "recognizes speech that goes on after a pause as well as each part alone",
      reason: "word timings of a streamed transcript are estimates, so the pause cannot be located",
    },
  ],
});
