import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import { callStream, parseNdjson } from "../helpers/http-client.js";
import { addSpeechRoutes } from "../helpers/openai-compatible-speech.js";
import {
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
} from "../helpers/openai-compatible-server.js";
import { pcm16OfWav, transcribe } from "../helpers/reply-audio.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { librivoxClips } from "../helpers/speech-corpus.js";
import { wer } from "../helpers/wer.js";

/** A voice note through a server configured for OpenAI-compatible speech services (stand-ins in the test). */
describe("a server with PARLEY_STT_ENGINE=openai and PARLEY_TTS_ENGINE=openai", () => {
  let speech: OpenAiCompatibleServer;
  let t: TestServer;
  const pocketsphinx = new PocketSphinxEngine({ poolSize: 1 });
  const flite = new FliteEngine();
  beforeAll(async () => {
    speech = await startOpenAiCompatibleServer();
    addSpeechRoutes(speech, { stt: pocketsphinx, tts: flite });
    t = await startTestServer({
      store: "sqlite",
      env: {
        PARLEY_STT_ENGINE: "openai",
        PARLEY_TTS_ENGINE: "openai",
        OPENAI_BASE_URL: speech.baseUrl,
        PARLEY_TTS_VOICES: "alloy|echo",
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await speech.close();
    await pocketsphinx.close();
    await flite.close();
  });

  it("recognizes the voice note and speaks the reply through the speech servers", async () => {
    const token = await t.token();
    const base = `${t.baseUrl}/v1/${t.orgId}`;
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]!.conversation_id as string;
    const clip = librivoxClips()[1]!;
    const before = speech.requests.length;
    const response = await fetch(
      `${base}/conversation/${id}/interact?request_format=voice&response_format=voice&include_latency_report=true`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "audio/wav", accept: "audio/wav" },
        body: fs.readFileSync(clip.wavPath),
      },
    );
    expect(response.status).toBe(200);
    const events = parseNdjson(await response.text());
    const heard = events.find((e) => e.type === "user-message-available");
    expect(wer(clip.transcript, String(heard?.user_message))).toBeLessThanOrEqual(0.5);
    const paths = speech.requests.slice(before).map((r) => r.path);
    expect(paths).toContain("/v1/audio/transcriptions");
    expect(paths).toContain("/v1/audio/speech");
    // The reply's audio, recognized back, says the reply.
    const pieces = events.filter((e) => e.type === "new-message");
    expect(pieces.length).toBeGreaterThan(0);
    const samples = pieces.flatMap((p) => [...pcm16OfWav(Buffer.from(String(p.message), "base64")).samples]);
    const complete = events.find((e) => e.type === "interaction-complete")!;
    const said = await transcribe(pocketsphinx, Int16Array.from(samples));
    expect(wer(String(complete.full_message), said)).toBeLessThanOrEqual(0.6);
    const report = events.find((e) => e.type === "latency-report")!;
    expect(report).toMatchObject({ recognition: { engine: "openai" } });
  });
});
