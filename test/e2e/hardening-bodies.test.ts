import fs from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { wavHeader } from "../../src/engines/codec/encoders.js";
import { GatedStt } from "../helpers/gated-stt.js";
import { call, callStream, textMessage } from "../helpers/http-client.js";
import { multipartBody, rawRequest } from "../helpers/raw-http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { librivoxClips } from "../helpers/speech-corpus.js";

const STALL_MS = 400;
const speech = fs.readFileSync(librivoxClips()[3]!.wavPath);

describe("request bodies cannot crash the server or lock a conversation", () => {
  let t: TestServer;
  let token: string;
  let base: string;
  const stt = new GatedStt();
  const logLevels: number[] = [];
  const logStream = {
    write: (line: string) => {
      logLevels.push((JSON.parse(line) as { level: number }).level);
    },
  };

  beforeAll(async () => {
    t = await startTestServer({
      store: "sqlite",
      engines: { stt },
      logStream,
      env: {
        PARLEY_INTERACTIONS_PER_MINUTE: "100000",
        PARLEY_BODY_STALL_TIMEOUT_MS: String(STALL_MS),
        PARLEY_BODY_TIMEOUT_MS: "3000",
        PARLEY_BODY_MIN_BYTES_PER_SECOND: "1024",
        PARLEY_MAX_AUDIO_DURATION_MS: "20000",
        PARLEY_VOICE_NOTES_PER_USER: "1",
      },
    });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
  });
  afterAll(() => t.close());

  let openConversation: string | undefined;
  afterEach(async () => {
    stt.release();
    if (openConversation !== undefined) await finish(openConversation);
    openConversation = undefined;
  });
  const newConversation = async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    expect(created.status).toBe(201);
    openConversation = created.events[0]!.conversation_id as string;
    return openConversation;
  };
  const finish = (id: string) => call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  const messageCount = async (id: string) =>
    (await call<{ messages: unknown[] }>(`${base}/conversation/${id}/messages/?limit=100`, token)).body
      .messages.length;
  const interactUrl = (id: string, requestFormat = "text") =>
    `${base}/conversation/${id}/interact?request_format=${requestFormat}&response_format=text`;
  const auth = () => ({ authorization: `Bearer ${token}` });
  const multipartHeaders = (boundary: string) => ({
    ...auth(),
    "content-type": `multipart/form-data; boundary=${boundary}`,
  });
  /** The conversation takes a normal interaction: no claim was left behind. */
  const expectUsable = async (id: string, countBefore: number) => {
    const next = await callStream(interactUrl(id), token, { form: textMessage("I have a sore throat") });
    expect(next.status).toBe(200);
    expect(next.events.at(-1)?.type).toBe("interaction-complete");
    expect(await messageCount(id)).toBe(countBefore + 2);
  };

  it("a multipart text body that ends inside a part gets 422 and the server stays up (it crashed)", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    const cut = multipartBody("b0", [{ name: "recorded_message", value: "hello", filename: "m.txt" }], {
      closing: false,
    });
    const answer = await rawRequest(interactUrl(id), { headers: multipartHeaders("b0"), body: [cut] });
    expect(answer.status, answer.body).toBe(422);
    await expectUsable(id, before);
  });

  it("a voice multipart body that ends inside the audio part gets 422 (it crashed)", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    const cut = multipartBody(
      "b1",
      [{ name: "recorded_message", value: speech, filename: "a.wav", contentType: "audio/wav" }],
      { closing: false },
    );
    const answer = await rawRequest(interactUrl(id, "voice"), {
      headers: multipartHeaders("b1"),
      body: [cut],
    });
    expect(answer.status, answer.body).toBe(422);
    await expectUsable(id, before);
  });

  it("a voice multipart without a boundary gets 422 (it got 500)", async () => {
    const id = await newConversation();
    const answer = await rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "multipart/form-data" },
      body: [speech],
    });
    expect(answer.status, answer.body).toBe(422);
  });

  it("a stalled multipart text body gets 408 and leaves the conversation usable (it locked it until restart)", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    const start = multipartBody("b2", [{ name: "initial_message_type", value: "user-message" }], {
      closing: false,
    });
    const answer = await rawRequest(interactUrl(id), {
      headers: multipartHeaders("b2"),
      body: [start],
      end: false,
    });
    expect(answer.status, answer.body).toBe(408);
    await expectUsable(id, before);
  });

  it("an aborted multipart text body leaves the conversation usable (its claim was never released)", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    const start = multipartBody("b3", [{ name: "initial_message_type", value: "user-message" }], {
      closing: false,
    });
    await rawRequest(interactUrl(id), {
      headers: multipartHeaders("b3"),
      body: [start],
      hangUpAfterBody: true,
    });
    await expectUsable(id, before);
  });

  it("a stalled JSON body gets 408 (it waited for ever)", async () => {
    const answer = await rawRequest(`${base}/conversation/?response_format=text`, {
      headers: { ...auth(), "content-type": "application/json", "content-length": "100" },
      body: ['{"service_id": "'],
      end: false,
    });
    expect(answer.status, answer.body).toBe(408);
  });

  it("a body trickling below the minimum rate gets 408 (one byte per stall interval held the request open)", async () => {
    const id = await newConversation();
    const header = wavHeader(16_000, 1_000_000);
    const trickle = Array.from({ length: 20 }, () => [{ pauseMs: STALL_MS - 150 }, Buffer.alloc(8)]).flat();
    const answer = await rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "audio/wav" },
      body: [header, ...trickle],
    });
    expect(answer.status, answer.body).toBe(408);
  });

  it("a multipart text message over the size limit gets 413 (it was cut to 1 MiB and accepted)", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    const body = multipartBody("b4", [
      { name: "initial_message_type", value: "user-message" },
      { name: "recorded_message", value: "word ".repeat(300_000) },
    ]);
    const answer = await rawRequest(interactUrl(id), { headers: multipartHeaders("b4"), body: [body] });
    expect(answer.status, answer.body).toBe(413);
    expect(await messageCount(id)).toBe(before);
  });

  it("a flood of multipart fields gets 413 (40,000 fields froze the event loop)", async () => {
    const id = await newConversation();
    const fields = Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}`, value: "x" }));
    const body = multipartBody("b5", [{ name: "recorded_message", value: "hello" }, ...fields]);
    const answer = await rawRequest(interactUrl(id), { headers: multipartHeaders("b5"), body: [body] });
    expect(answer.status, answer.body).toBe(413);
  });

  it("audio sampled below 8 kHz gets 415 (a 64 KiB WAV at 1 kHz was 65 s of recognizer work)", async () => {
    const id = await newConversation();
    const samples = Buffer.alloc(65_536);
    const answer = await rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "audio/wav" },
      body: [wavHeader(1000, samples.length), samples],
    });
    expect(answer.status, answer.body).toBe(415);
  });

  it("audio longer than the duration cap gets 413 (the byte limit alone allowed hours)", async () => {
    const id = await newConversation();
    const samples = Buffer.alloc(8000 * 2 * 25); // 25 s at 8 kHz, over the 20 s cap
    const answer = await rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "audio/wav" },
      body: [wavHeader(8000, samples.length), samples],
    });
    expect(answer.status, answer.body).toBe(413);
  });

  it("a voice note whose client hangs up during recognition is not stored (it was)", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    stt.hold();
    const answer = await rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "audio/wav" },
      body: [speech],
      // The whole body has arrived; the client goes away while the recognizer works.
      hangUpWhen: stt.audioEnded,
    });
    expect(answer.status).toBe(0);
    await stt.aborted;
    // A client going away is not a server error.
    expect(logLevels.filter((level) => level >= 50)).toEqual([]);
    stt.release();
    await expectUsable(id, before);
  });

  it("a user's voice note beyond the per-user limit gets 429", async () => {
    const id = await newConversation();
    stt.hold();
    const held = rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "audio/wav" },
      body: [speech],
    });
    await stt.audioEnded;
    const second = await rawRequest(interactUrl(id, "voice"), {
      headers: { ...auth(), "content-type": "audio/wav" },
      body: [speech],
    });
    expect(second.status, second.body).toBe(429);
    stt.release();
    expect((await held).status).toBe(200);
  });
});
