import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callStream, textMessage } from "../helpers/http-client.js";
import { RealtimeClient, type ServerMessage } from "../helpers/realtime-client.js";
import { signedInServer, startTestServer, type TestServer } from "../helpers/server.js";
import { librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";
import { wer } from "../helpers/wer.js";
import { joinSamples, transcribe } from "../helpers/reply-audio.js";
import { pcm16FromBytes } from "../../src/realtime/user-audio.js";
import { speechExtentMs } from "../helpers/speech-corpus.js";

// A clip that starts and ends on voiced sounds, so that its energy extent is where the speech is.
const clip = librivoxClips()[1]!;
const speech = readPcm16Wav(clip.wavPath).samples;
const silence = (ms: number) => new Int16Array(16 * ms);

/** Speech followed by enough silence for the VAD to end the turn. */
function utterance(samples: Int16Array, trailingSilenceMs = 1200): Int16Array {
  const out = new Int16Array(samples.length + 16 * trailingSilenceMs);
  out.set(samples);
  return out;
}

/** The clip's transcript arrives (within the engine's error rate), then the agent's answer completes. */
async function expectHeardAndAnswered(client: RealtimeClient): Promise<void> {
  const heard = await client.waitFor(
    (m) => m.type === "server.user-message-available",
    "the transcript",
    30_000,
  );
  expect(wer(clip.transcript, heard.user_message as string)).toBeLessThanOrEqual(0.6);
  await client.waitFor(
    (m) => m.type === "server.interaction-complete" && m.seq > heard.seq,
    "the reply",
    30_000,
  );
}

/**
 * Waits for the utterance's end and checks that its VAD times (start with its 300 ms prefix padding, and
 * end) lie within 100 ms of the clip's speech, the clip having started `clipOffsetMs` into the session.
 */
async function expectSpeechTimes(client: RealtimeClient, clipOffsetMs: number): Promise<ServerMessage> {
  const ended = await client.waitFor((m) => m.type === "server.vad-speech-ended", "speech end");
  const started = client.messages.find(
    (m) => m.type === "server.vad-speech-started" && m.utterance_id === ended.utterance_id,
  )!;
  const extent = speechExtentMs(speech);
  expect(
    Math.abs((started.audio_start_ms as number) + 300 - (clipOffsetMs + extent.startMs)),
  ).toBeLessThanOrEqual(100);
  expect(Math.abs((ended.audio_end_ms as number) - (clipOffsetMs + extent.endMs))).toBeLessThanOrEqual(100);
  return ended;
}

describe("real-time voice over WebSocket", () => {
  let t: TestServer;
  let token: string;
  let base: string;

  beforeAll(async () => {
    ({ t, token, base } = await signedInServer({
      store: "sqlite",
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" },
    }));
  });
  afterAll(() => t.close());

  const messages = async (id: string) =>
    (
      await call<{ messages: { message: string; sender_type?: string; message_type?: string }[] }>(
        `${base}/conversation/${id}/messages/?limit=100`,
        token,
      )
    ).body.messages;
  const finish = (id: string) => call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });

  it("starts a conversation in text mode and answers a text message", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    expect(client.socket.protocol).toBe(`bearer.authorization.amigo.ai.${token}`);
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    const id = created.conversation_id as string;
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting");
    client.send({ type: "client.new-text-message", text: "I have a sore throat" });
    const userMessage = await client.waitFor(
      (m) => m.type === "server.user-message-available",
      "the user message",
    );
    const done = await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > userMessage.seq,
      "the reply",
    );
    expect(typeof done.full_message).toBe("string");
    const pieces = client.ofType("server.new-message");
    expect(pieces.length).toBeGreaterThan(0);
    expect(client.messages.map((m) => m.seq)).toEqual(client.messages.map((_, i) => i + 1));
    client.send({ type: "client.finish-conversation" });
    await client.next("server.conversation-finished");
    expect(await client.closed).toBe(1000);
    expect((await messages(id)).length).toBe(3);
  });

  it("hears a spoken turn in VAD mode: speech start and end near the clip's speech, transcript, spoken reply, stored", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({ type: "client.start-conversation", service_id: t.serviceId, vad_mode: true });
    const created = await client.next("server.conversation-created");
    const id = created.conversation_id as string;
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    const leadMs = 500;
    await client.stream(utterance(new Int16Array([...silence(leadMs), ...speech])), { speed: 1 });
    // The step from digital silence into the recording is a blip (started, then reset); the turn's
    // speech is the utterance that ended.
    const ended = await expectSpeechTimes(client, leadMs);
    const userMessage = await client.waitFor((m) => m.type === "server.user-message-available", "transcript");
    expect(wer(clip.transcript, userMessage.user_message as string)).toBeLessThanOrEqual(0.6);
    const done = await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > ended.seq,
      "the reply",
      30_000,
    );
    const audio = client.messages.filter((m) => m.type === "server.new-message" && m.seq > ended.seq);
    expect(audio.length).toBeGreaterThan(0);
    // The reply's PCM chunks, joined, are speech that says the reply.
    const replyAudio = joinSamples(
      audio
        .filter((m) => m.message_id === done.message_id)
        .map((m) => pcm16FromBytes(Buffer.from(m.message as string, "base64"))),
    );
    expect(replyAudio.length).toBeGreaterThan(16_000);
    expect(
      wer(done.full_message as string, await transcribe(t.server.engines.stt, replyAudio)),
    ).toBeLessThanOrEqual(0.5);
    expect(done.interrupted).toBe(false);
    client.close();
    await client.closed;
    const stored = await messages(id);
    expect(stored.length).toBe(3);
    await finish(id);
  });

  it("stops talking when the user barges in and keeps only what was heard", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({ type: "client.start-conversation", service_id: t.serviceId, vad_mode: true });
    const created = await client.next("server.conversation-created");
    const id = created.conversation_id as string;
    // The greeting plays in real time; the user talks over it after a second.
    await client.waitFor((m) => m.type === "server.new-message", "the greeting's audio");
    await client.stream(silence(1000), { speed: 1 });
    const streaming = client.stream(utterance(speech), { speed: 1 });
    const interrupted = await client.waitFor(
      (m) => m.type === "server.agent-interrupted",
      "the interruption",
    );
    const lastAudioSeq = Math.max(
      ...client.messages
        .filter((m) => m.type === "server.new-message" && m.seq < interrupted.seq)
        .map((m) => m.seq),
    );
    await streaming;
    const transcript = await client.waitFor(
      (m) => m.type === "server.user-message-available",
      "the transcript",
      30_000,
    );
    // The user's turn is answered, so the conversation has an interaction (and can be finished) even when
    // the greeting was rolled back.
    await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > transcript.seq,
      "the answer",
      30_000,
    );
    const greetingAudio = client.messages.filter(
      (m) => m.type === "server.new-message" && m.message_id === interrupted.message_id,
    );
    expect(greetingAudio.every((m) => m.seq <= lastAudioSeq)).toBe(true);
    const heard = interrupted.heard_text as string;
    const greetingDone = client.messages.find(
      (m) => m.type === "server.interaction-complete" && m.message_id === interrupted.message_id,
    );
    client.close();
    await client.closed;
    const stored = await messages(id);
    if (interrupted.rolled_back === true) {
      expect(greetingDone).toBeUndefined();
    } else {
      expect(greetingDone?.interrupted).toBe(true);
      expect(greetingDone?.full_message).toBe(heard);
      expect(stored[0]!.message).toBe(heard);
    }
    await finish(id).catch(() => undefined);
  });

  it("continues a conversation begun over HTTP, and HTTP continues it afterwards", async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]!.conversation_id as string;
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", conversation_id: id });
    const started = await client.next("server.conversation-created");
    expect(started.continued).toBe(true);
    const second = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    second.send({ type: "client.start-conversation", conversation_id: id });
    expect(await second.closed).toBe(4409);
    client.send({ type: "client.new-text-message", text: "I have a sore throat" });
    await client.next("server.interaction-complete");
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    const next = await callStream(
      `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
      token,
      { form: textMessage("tomorrow at 10 am") },
    );
    expect(next.status).toBe(200);
    expect((await messages(id)).length).toBe(5);
    await finish(id);
  });

  it("closes 4401 after the upgrade for bad credentials, and answers malformed messages without closing", async () => {
    const bad = await RealtimeClient.connect(t.baseUrl, t.orgId, "not-a-token");
    expect(await bad.closed).toBe(4401);
    expect(bad.ofType("server.error")[0]?.http_error_code).toBe(401);

    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    client.socket.send("{not json");
    const error = await client.next("server.error");
    expect(error.fatal).toBe(false);
    client.send({ type: "client.no-such-thing", client_event_id: "e1" });
    const unknown = await client.next("server.error");
    expect(unknown.client_event_id).toBe("e1");
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    await finish(created.conversation_id as string);
  });

  it("takes a manual-mode turn sent as base64 audio messages ended by audio: null", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting");
    for (let offset = 0; offset < speech.length; offset += 1600) {
      const chunk = speech.subarray(offset, offset + 1600);
      client.send({
        type: "client.new-audio-message",
        audio: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("base64"),
      });
    }
    client.send({ type: "client.new-audio-message", audio: null });
    await expectHeardAndAnswered(client);
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    const stored = await messages(created.conversation_id as string);
    expect(stored.length).toBe(3);
    await finish(created.conversation_id as string);
  });

  it("does not stop for a blip shorter than the minimum speech", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({
      type: "client.start-conversation",
      service_id: t.serviceId,
      vad_mode: true,
      vad: { min_speech_ms: 400 },
      // This test is about the minimum speech; the echo filter (its own tests) stays out of it.
      echo_rejection: false,
    });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.new-message", "the greeting's audio");
    // 150 ms of the clip's loudest speech, then silence: heard as a blip, never confirmed.
    const extent = speechExtentMs(speech);
    const blipStart = 16 * (extent.startMs + 300);
    const blip = new Int16Array([
      ...silence(300),
      ...speech.subarray(blipStart, blipStart + 16 * 150),
      ...silence(800),
    ]);
    await client.stream(blip, { speed: 1 });
    await client.waitFor((m) => m.type === "server.vad-speech-reset-zero", "the blip's reset");
    const greeting = await client.waitFor(
      (m) => m.type === "server.interaction-complete",
      "the greeting",
      30_000,
    );
    expect(greeting.interrupted).toBe(false);
    expect(client.ofType("server.agent-interrupted")).toEqual([]);
    client.close();
    await client.closed;
    await finish(created.conversation_id as string);
  });

  it("warns, then closes 4408 when the session stays idle", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", service_id: t.serviceId, idle_timeout_s: 2 });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.timeout-warning", "the warning");
    expect(await client.closed).toBe(4408);
    await finish(created.conversation_id as string);
  });

  it("carries the words of a reply rolled back by a new text message into that message's turn", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    client.send({ type: "client.new-text-message", text: "I have a sore throat" });
    await client.waitFor((m) => m.type === "server.user-message-available", "the first message");
    // Interrupt at once: nothing of the reply was heard, so it is rolled back.
    client.send({ type: "client.new-text-message", text: "and my ear hurts" });
    const interrupted = await client.waitFor(
      (m) => m.type === "server.agent-interrupted",
      "the interruption",
    );
    if (interrupted.rolled_back === true) {
      const carried = await client.waitFor(
        (m) => m.type === "server.user-message-available" && m.seq > interrupted.seq,
        "the next message",
      );
      expect(carried.user_message).toBe("I have a sore throat and my ear hurts");
    }
    await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > interrupted.seq,
      "the reply",
      30_000,
    );
    client.close();
    await client.closed;
    await finish(created.conversation_id as string);
  });

  it("closes its sockets with 1001 when the server shuts down", async () => {
    const own = await startTestServer({ store: "sqlite" });
    const client = await RealtimeClient.connect(
      own.baseUrl,
      own.orgId,
      await own.token(),
      "response_format=text",
    );
    client.send({ type: "client.start-conversation", service_id: own.serviceId });
    await client.next("server.conversation-created");
    const closing = own.close();
    expect(await client.closed).toBe(1001);
    await closing;
  });

  it("hears speech streamed four times faster than real time", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", service_id: t.serviceId, vad_mode: true });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting");
    await client.stream(utterance(new Int16Array([...silence(500), ...speech])), { speed: 4 });
    await expectSpeechTimes(client, 500);
    await expectHeardAndAnswered(client);
    client.close();
    await client.closed;
    await finish(created.conversation_id as string);
  });

  it("counts VAD times from the session's first input sample when VAD mode is switched on later", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting");
    // 1 s of audio in manual mode, then VAD mode.
    await client.stream(silence(1000), { speed: 0 });
    client.send({ type: "client.switch-vad-mode", vad_mode: true });
    await client.next("server.vad-mode-switched");
    await client.stream(utterance(new Int16Array([...silence(500), ...speech])), { speed: 4 });
    await expectSpeechTimes(client, 1500);
    client.close();
    await client.closed;
    await finish(created.conversation_id as string).catch(() => undefined);
  });

  it("answers an HTTP interaction 409 while the socket's reply is still playing", async () => {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    const id = created.conversation_id as string;
    // The greeting's audio plays in real time; its interaction holds the conversation until it is over.
    await client.waitFor((m) => m.type === "server.new-message", "the greeting's audio");
    const during = await callStream(
      `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
      token,
      { form: textMessage("hello") },
    );
    expect(during.status).toBe(409);
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    const after = await callStream(
      `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
      token,
      { form: textMessage("I have a sore throat") },
    );
    expect(after.status).toBe(200);
    await finish(id);
  });
});
