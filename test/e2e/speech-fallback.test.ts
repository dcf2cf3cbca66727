import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FallbackSttEngine, FallbackTtsEngine } from "../../src/engines/fallback-speech.js";
import { OpenAiSttEngine } from "../../src/engines/stt/openai/engine.js";
import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import type { SttEvent } from "../../src/engines/stt/types.js";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import { OpenAiTtsEngine } from "../../src/engines/tts/openai/engine.js";
import type { TtsChunk } from "../../src/engines/tts/types.js";
import { addSpeechRoutes, type SpeechFailures } from "../helpers/openai-compatible-speech.js";
import {
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
} from "../helpers/openai-compatible-server.js";
import { chunked, librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";
import { wer } from "../helpers/wer.js";

/** The speech engines fall back to the offline ones, per utterance and per reply, when the server fails. */
let server: OpenAiCompatibleServer;
let failures: SpeechFailures;
const pocketsphinx = new PocketSphinxEngine({ poolSize: 1 });
const flite = new FliteEngine();
const endpoint = (setting: string) => ({
  baseUrl: "",
  apiKey: undefined,
  timeoutMs: 30_000,
  maxRetries: 0,
  setting,
});

beforeAll(async () => {
  server = await startOpenAiCompatibleServer();
  failures = addSpeechRoutes(server, { stt: pocketsphinx, tts: flite });
});
afterAll(async () => {
  await server.close();
  await pocketsphinx.close();
  await flite.close();
});

describe("speech fallback", () => {
  it("a failing transcription server: PocketSphinx recognizes the utterance, and the log says so", async () => {
    const warnings: string[] = [];
    const stt = new FallbackSttEngine(
      new OpenAiSttEngine({
        endpoint: { ...endpoint("PARLEY_STT_BASE_URL"), baseUrl: server.baseUrl },
        model: "whisper-1",
        languages: ["en"],
        partialEveryMs: 0,
        stream: false,
      }),
      pocketsphinx,
      (m) => warnings.push(m),
    );
    const clip = librivoxClips()[1]!;
    failures.next.push(503);
    const events: SttEvent[] = [];
    for await (const event of stt.recognize(chunked(readPcm16Wav(clip.wavPath).samples), {
      signal: new AbortController().signal,
    }))
      events.push(event);
    const final = events.find((e) => e.type === "final")!;
    expect(wer(clip.transcript, final.text)).toBeLessThanOrEqual(0.5);
    expect(final).toMatchObject({ engine: "pocketsphinx" });
    expect(warnings.join("\n")).toMatch(/openai failed .*HTTP 503.*pocketsphinx recognizes this utterance/);
  });

  it("a speech server failing mid-reply: Flite speaks the rest, timed on from where the audio got to", async () => {
    const warnings: string[] = [];
    const tts = new FallbackTtsEngine(
      new OpenAiTtsEngine({
        endpoint: { ...endpoint("PARLEY_TTS_BASE_URL"), baseUrl: server.baseUrl },
        model: "tts-1",
        voices: ["alloy"],
      }),
      flite,
      (m) => warnings.push(m),
    );
    // The first sentence is spoken by the server; the second request fails.
    const chunks: TtsChunk[] = [];
    const text = "Good morning. Your appointment is at ten. See you soon!";
    const deltas = (async function* () {
      yield "Good morning.";
      failures.next.push(503);
      yield " Your appointment is at ten. See you soon!";
    })();
    for await (const chunk of tts.synthesize(deltas, { signal: new AbortController().signal }))
      chunks.push(chunk);
    expect(chunks.map((c) => c.text).join("")).toBe(text);
    let expectedStartMs = 0;
    for (const chunk of chunks) {
      expect(chunk.startMs).toBeCloseTo(expectedStartMs, 0);
      expectedStartMs += (chunk.samples.length * 1000) / chunk.sampleRateHz;
    }
    expect(warnings.join("\n")).toMatch(/openai failed .*HTTP 503.*flite speaks the rest of this reply/);
  });
});
