import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeTo16k, fixtureDir, makeFlac, makeMp3, soxConvert } from "../helpers/audio-fixtures.js";
import {
  call,
  callStream,
  parseNdjson,
  postOnOwnConnection,
  readEvents,
  type StreamEvent,
} from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectEventsMatchSpec } from "../helpers/spec-validator.js";
import { chunked, librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";
import { wer } from "../helpers/wer.js";

const clip = librivoxClips()[3]!;
const dir = fixtureDir();
const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.type === type);

describe("voice notes over HTTP", () => {
  let t: TestServer;
  let token: string;
  let base: string;
  let engineWer: number;

  beforeAll(async () => {
    t = await startTestServer({
      store: "sqlite",
      env: {
        PARLEY_INTERACTIONS_PER_MINUTE: "1000",
        PARLEY_MAX_AUDIO_BYTES: "4000000",
        PARLEY_BODY_STALL_TIMEOUT_MS: "1500",
      },
    });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
    let text = "";
    for await (const event of t.server.engines.stt.recognize(chunked(readPcm16Wav(clip.wavPath).samples), {
      signal: new AbortController().signal,
    })) {
      if (event.type === "final") text = event.text;
    }
    engineWer = wer(clip.transcript, text);
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const newConversation = async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    return created.events[0]!.conversation_id as string;
  };
  const finish = (id: string) => call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  const messageCount = async (id: string) =>
    (await call<{ messages: unknown[] }>(`${base}/conversation/${id}/messages/?limit=100`, token)).body
      .messages.length;

  async function sendVoice(
    id: string,
    body: Uint8Array | FormData,
    contentType: string | undefined,
    query = "",
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(
      `${base}/conversation/${id}/interact?request_format=voice&response_format=text${query}`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          ...(contentType === undefined ? {} : { "content-type": contentType }),
          ...headers,
        },
        body,
      },
    );
    const raw = await response.text();
    const events = response.headers.get("content-type")?.includes("ndjson") ? parseNdjson(raw) : [];
    return { status: response.status, events, raw };
  }

  const wav16k = fs.readFileSync(clip.wavPath);
  const formats: [string, () => Uint8Array, string, string?][] = [
    ["16 kHz WAV", () => wav16k, "audio/wav"],
    [
      "48 kHz stereo WAV",
      () => fs.readFileSync(soxConvert(clip.wavPath, `${dir}/a48.wav`, ["-r", "48000", "-c", "2"])),
      "audio/wav",
    ],
    ["MP3", () => fs.readFileSync(makeMp3(clip.wavPath, `${dir}/a.mp3`)), "audio/mpeg"],
    ["FLAC", () => fs.readFileSync(makeFlac(clip.wavPath, `${dir}/a.flac`)), "audio/flac"],
    [
      "raw PCM with request_audio_config",
      () => wav16k.subarray(44),
      "audio/pcm",
      `&request_audio_config=${encodeURIComponent(JSON.stringify({ type: "pcm", frame_rate: 16000, n_channels: 1, sample_width: 2 }))}`,
    ],
  ];

  it.each(formats)(
    "transcribes %s within the engine's own word error rate",
    async (_name, bytes, contentType, query = "") => {
      const id = await newConversation();
      const response = await sendVoice(id, bytes(), contentType, query);
      expect(response.status, response.raw.slice(0, 300)).toBe(200);
      expectEventsMatchSpec(response.events);
      const transcript = response.events[0]!.user_message as string;
      expect(wer(clip.transcript, transcript)).toBeLessThanOrEqual(
        engineWer + 1 / clip.transcript.split(" ").length,
      );
      expect(ofType(response.events, "interaction-complete")).toHaveLength(1);
      await finish(id);
    },
  );

  it("takes the recording as a multipart part and keeps it as the message's source", async () => {
    const id = await newConversation();
    const form = new FormData();
    form.set("initial_message_type", "user-message");
    form.set("recorded_message", new Blob([wav16k], { type: "audio/wav" }), "note.wav");
    const response = await sendVoice(id, form, undefined);
    expect(response.status).toBe(200);
    const messageId = response.events[0]!.message_id as string;
    expect(wer(clip.transcript, response.events[0]!.user_message as string)).toBeLessThanOrEqual(
      engineWer + 1 / clip.transcript.split(" ").length,
    );
    const source = await fetch(`${base}/conversation/${id}/messages/${messageId}/source`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(source.status).toBe(200);
    expect(source.headers.get("content-type")).toContain("audio/wav");
    expect(Buffer.from(await source.arrayBuffer()).equals(wav16k)).toBe(true);
    const messages = await call<{ messages: { format: string; message_type: string }[] }>(
      `${base}/conversation/${id}/messages/`,
      token,
    );
    expect(messages.body.messages.find((m) => m.message_type === "user-message")?.format).toBe("voice");
    await finish(id);
  });

  it.each([
    ["audio/mpeg", "mp3"],
    ["audio/wav", "wav"],
  ])("answers with %s pieces whose audio matches the alignment", async (accept) => {
    const id = await newConversation();
    const form = new FormData();
    form.set("initial_message_type", "user-message");
    form.set("recorded_message", "I have had a cough for a week");
    const response = await fetch(
      `${base}/conversation/${id}/interact?request_format=text&response_format=voice`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, accept },
        body: form,
      },
    );
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    expectEventsMatchSpec(events);
    const pieces = ofType(events, "new-message");
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces.at(-1)!.stop).toBe(true);
    const complete = ofType(events, "interaction-complete")[0]!;
    const alignment = pieces.flatMap((p) => p.transcript_alignment as [number, string][]);
    expect(alignment.map(([, c]) => c).join("")).toBe(complete.full_message);
    let totalMs = 0;
    const all: Uint8Array[] = [];
    for (const piece of pieces) {
      const audio = Buffer.from(piece.message as string, "base64");
      all.push(audio);
      if (accept === "audio/wav") expect(audio.subarray(0, 4).toString("ascii")).toBe("RIFF");
      const alone = await decodeTo16k(audio, { contentType: accept });
      totalMs += (alone.length / 16_000) * 1000;
      const own = piece.transcript_alignment as [number, string][];
      expect(own[0]![0]).toBeLessThan(totalMs);
    }
    const lastSpokenMs = alignment.at(-1)![0];
    expect(lastSpokenMs).toBeLessThanOrEqual(totalMs);
    // MP3 frames pad each piece a little; the spoken text ends within the last second of audio.
    expect(totalMs - lastSpokenMs).toBeLessThan(1200);
    const joined = await decodeTo16k(Buffer.concat(all), { contentType: accept });
    expect(joined.length).toBeGreaterThan(0);
    await finish(id);
  });

  it("answers a voice note with a spoken reply: transcript first, then pieces in order, only the last with stop", async () => {
    const id = await newConversation();
    const response = await fetch(
      `${base}/conversation/${id}/interact?request_format=voice&response_format=voice`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "audio/wav", accept: "audio/mpeg" },
        body: wav16k,
      },
    );
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    expectEventsMatchSpec(events);
    expect(events[0]!.type).toBe("user-message-available");
    expect(wer(clip.transcript, events[0]!.user_message as string)).toBeLessThanOrEqual(
      engineWer + 1 / clip.transcript.split(" ").length,
    );
    const pieces = ofType(events, "new-message");
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(pieces.map((p) => p.sequence_number)).toEqual(pieces.map((_, i) => i));
    expect(pieces.map((p) => p.stop)).toEqual(pieces.map((_, i) => i === pieces.length - 1));
    const spoken = pieces.flatMap((p) => (p.transcript_alignment as [number, string][]).map(([, c]) => c));
    expect(spoken.join("")).toBe(ofType(events, "interaction-complete")[0]!.full_message);
    const audio = await decodeTo16k(
      Buffer.concat(pieces.map((p) => Buffer.from(p.message as string, "base64"))),
      { contentType: "audio/mpeg" },
    );
    expect(audio.length / 16_000).toBeGreaterThan(1);
    await finish(id);
  });

  it("greets with voice when the conversation is created with response_format=voice", async () => {
    const created = await fetch(`${base}/conversation/?response_format=voice&audio_format=pcm`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ service_id: t.serviceId }),
    });
    const events = await readEvents(created);
    expectEventsMatchSpec(events);
    const pieces = ofType(events, "new-message");
    expect(
      Buffer.from(pieces[0]!.message as string, "base64")
        .subarray(0, 4)
        .toString("ascii"),
    ).toBe("RIFF");
    await finish(events[0]!.conversation_id as string);
  });

  it("recognizes a slow upload while it arrives", async () => {
    const id = await newConversation();
    const chunkBytes = 3200;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const sent = (this as unknown as { sent?: number }).sent ?? 0;
        if (sent >= wav16k.length) {
          controller.close();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        controller.enqueue(wav16k.subarray(sent, sent + chunkBytes));
        (this as unknown as { sent?: number }).sent = sent + chunkBytes;
      },
    });
    const response = await fetch(
      `${base}/conversation/${id}/interact?request_format=voice&response_format=text&include_latency_report=true`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "audio/wav" },
        body,
        duplex: "half",
      },
    );
    const events = await readEvents(response);
    const report = events.find((e) => e.type === "latency-report")!;
    const recognition = report.recognition as { audio_ms: number; recognized_ms_at_body_end: number };
    // Most of the audio had been recognized before its last byte arrived.
    expect(recognition.recognized_ms_at_body_end).toBeGreaterThan(recognition.audio_ms * 0.6);
    expect(report.body_end_to_final_transcript_ms).not.toBeNull();
    expect(events.at(-2)!.type).toBe("latency-report");
    await finish(id);
  });

  it("rejects bad voice requests with the documented status and keeps nothing", async () => {
    const id = await newConversation();
    const before = await messageCount(id);
    let seed = 3;
    const noise = Buffer.alloc(20_000).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const noisy = await sendVoice(id, noise, "audio/wav");
    expect(noisy.status, noisy.raw).toBe(415);
    expect((await sendVoice(id, Buffer.from("hello"), "text/plain")).status).toBe(415);
    expect((await sendVoice(id, Buffer.alloc(0), "audio/wav")).status).toBe(400);
    const silence = Buffer.concat([wav16k.subarray(0, 44), Buffer.alloc(32_000)]);
    silence.writeUInt32LE(32_000, 40);
    expect((await sendVoice(id, silence, "audio/wav")).status).toBe(400);
    const url = `${base}/conversation/${id}/interact?request_format=voice&response_format=text`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "audio/wav" };
    expect(await postOnOwnConnection(url, headers, [wav16k.subarray(0, 8000)], { leaveOpen: true })).toBe(
      408,
    );
    const big = Buffer.concat([wav16k.subarray(0, 44), Buffer.alloc(5_000_000)]);
    big.writeUInt32LE(0xffffffff, 40);
    expect(await postOnOwnConnection(url, headers, [big])).toBe(413);

    expect(await messageCount(id)).toBe(before);

    // A user whose preferred language has no voice support gets 400.
    const invited = await call<{ user_id: string }>(`${base}/user/`, token, {
      method: "POST",
      json: {
        first_name: "Ana",
        last_name: "Ruiz",
        email: "ana@example.com",
        role_name: "DefaultUserRole",
        user_preferences: { preferred_language: "spa" },
      },
    });
    const spanish = await t.token(invited.body.user_id);
    const created = await callStream(`${base}/conversation/?response_format=text`, spanish, {
      json: { service_id: t.serviceId },
    });
    const theirs = created.events[0]!.conversation_id as string;
    const response = await fetch(
      `${base}/conversation/${theirs}/interact?request_format=voice&response_format=text`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${spanish}`, "content-type": "audio/wav" },
        body: wav16k,
      },
    );
    expect(response.status).toBe(400);
    await finish(id);
  });
});

describe("voice notes on PostgreSQL", () => {
  it("stores the recording and returns it as the message source", async () => {
    const t = await startTestServer({ store: "postgres" });
    try {
      const token = await t.token();
      const base = `${t.baseUrl}/v1/${t.orgId}`;
      const created = await callStream(`${base}/conversation/?response_format=text`, token, {
        json: { service_id: t.serviceId },
      });
      const id = created.events[0]!.conversation_id as string;
      const wav = fs.readFileSync(librivoxClips()[1]!.wavPath);
      const response = await fetch(
        `${base}/conversation/${id}/interact?request_format=voice&response_format=text`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "audio/wav" },
          body: wav,
        },
      );
      const events = await readEvents(response);
      const source = await fetch(
        `${base}/conversation/${id}/messages/${events[0]!.message_id as string}/source`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      expect(Buffer.from(await source.arrayBuffer()).equals(wav)).toBe(true);
    } finally {
      await t.close();
    }
  });
});
