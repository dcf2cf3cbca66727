import fs from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeTo16k, fixtureDir, makeFlac, makeMp3, soxConvert } from "../helpers/audio-fixtures.js";
import {
  call,
  callStream,
  parseNdjson,
  postOnOwnConnection,
  readEvents,
  type StreamEvent,
} from "../helpers/http-client.js";
import { joinSamples, pcm16OfWav, receivePieces, sameSamples, transcribe } from "../helpers/reply-audio.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectEventsMatchSpec } from "../helpers/spec-validator.js";
import { librivoxClips } from "../helpers/speech-corpus.js";
import { wer } from "../helpers/wer.js";
import { demoAgentVersionBody } from "../../src/domain/demo/clinic-receptionist.js";

const clip = librivoxClips()[3]!;
const dir = fixtureDir();
const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.type === type);

/**
 * Highest word error rate accepted for the transcript of the uploaded clip (LibriVox clip 3, 19 words).
 * PocketSphinx gets 4 words wrong (0.21) in every format tested here; the bound leaves about three words.
 */
const TRANSCRIPT_MAX_WER = 0.4;
/**
 * Highest word error rate accepted when the reply's audio (Flite rms, the demo agent's voice) is run back
 * through PocketSphinx against the reply text: 0.16–0.27 measured on the demo's replies, as MP3 and WAV.
 * Silence or noise of the right length scores 1.
 */
const REPLY_MAX_WER = 0.5;
/**
 * How much longer than its samples an MP3 piece decodes (encoder delay and the last frame's padding):
 * at most this many milliseconds per piece.
 */
const MP3_PADDING_MS = 150;

function expectCloseTranscript(transcript: unknown): void {
  expect(typeof transcript).toBe("string");
  expect((transcript as string).trim()).not.toBe("");
  expect(wer(clip.transcript, transcript as string), transcript as string).toBeLessThanOrEqual(
    TRANSCRIPT_MAX_WER,
  );
}

describe("voice notes over HTTP", () => {
  let t: TestServer;
  let token: string;
  let base: string;

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
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Conversations a test started; finished after it even when it fails, so one failure stays one failure.
  const started = new Set<string>();
  const newConversation = async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    expect(created.status, created.raw.slice(0, 300)).toBe(201);
    const id = created.events[0]!.conversation_id as string;
    started.add(id);
    return id;
  };
  const finish = (id: string) => call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  afterEach(async () => {
    for (const id of started) await finish(id);
    started.clear();
  });
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
    "transcribes %s within a fixed word error rate",
    async (_name, bytes, contentType, query = "") => {
      const id = await newConversation();
      const response = await sendVoice(id, bytes(), contentType, query);
      expect(response.status, response.raw.slice(0, 300)).toBe(200);
      expectEventsMatchSpec(response.events);
      expect(response.events[0]!.type).toBe("user-message-available");
      expectCloseTranscript(response.events[0]!.user_message);
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
    expectCloseTranscript(response.events[0]!.user_message);
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
  ])("answers with %s pieces that speak the reply on one contiguous timeline", async (accept) => {
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
    const received = await receivePieces(pieces, accept);
    expect(received.map((p) => p.text).join("")).toBe(complete.full_message);
    // Each piece's timings start where the audio before it ends and stay within its own audio. WAV pieces
    // decode to exactly their samples; MP3 pieces decode up to MP3_PADDING_MS longer.
    const paddingMs = accept === "audio/mpeg" ? MP3_PADDING_MS : 0;
    let endMs = 0;
    let endMsAtLeast = 0;
    let previousLastMs = 0;
    for (const [index, piece] of received.entries()) {
      if (accept === "audio/wav") expect(piece.bytes.subarray(0, 4).toString("ascii")).toBe("RIFF");
      expect(piece.durationMs).toBeGreaterThan(paddingMs);
      const times = piece.alignment.map(([ms]) => ms);
      for (let i = 1; i < times.length; i += 1) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
      // Flite rounds each sentence's start to the millisecond.
      const roundingMs = index + 1;
      expect(times[0]!).toBeGreaterThanOrEqual(endMsAtLeast - roundingMs);
      expect(times[0]!).toBeGreaterThanOrEqual(previousLastMs);
      endMs += piece.durationMs;
      endMsAtLeast += piece.durationMs - paddingMs;
      expect(times.at(-1)!).toBeLessThanOrEqual(endMs + roundingMs);
      previousLastMs = times.at(-1)!;
    }
    // The reply's audio says the reply: run back through the recognizer, it gives the reply's words.
    const heard = await transcribe(t.server.engines.stt, joinSamples(received.map((p) => p.samples)));
    expect(wer(complete.full_message as string, heard), heard).toBeLessThanOrEqual(REPLY_MAX_WER);
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
    expectCloseTranscript(events[0]!.user_message);
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
    const heard = await transcribe(t.server.engines.stt, audio);
    const reply = ofType(events, "interaction-complete")[0]!.full_message as string;
    expect(wer(reply, heard), heard).toBeLessThanOrEqual(REPLY_MAX_WER);
    await finish(id);
  });

  it("speaks with the voice that the agent version's voice_config names", async () => {
    const service = await t.server.store.getService(t.orgId, t.serviceId);
    const agentId = service!.agentId;
    // A second version of the demo agent that speaks with slt, served by a version set of its own.
    const version = await call<{ version: number }>(`${base}/organization/agent/${agentId}/`, token, {
      method: "POST",
      json: { ...demoAgentVersionBody, voice_config: { voice_id: "flite:slt" } },
    });
    expect(version.status).toBe(201);
    const set = await call(`${base}/service/${t.serviceId}/version_sets/slt/`, token, {
      method: "PUT",
      json: {
        version_set: {
          agent_version_number: version.body.version,
          service_hierarchical_state_machine_version_number: 1,
          llm_model_preferences: {},
        },
      },
    });
    expect(set.status).toBe(204);

    const greetingIn = async (versionSetName: string) => {
      const created = await fetch(`${base}/conversation/?response_format=voice`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "audio/wav",
        },
        body: JSON.stringify({ service_id: t.serviceId, service_version_set_name: versionSetName }),
      });
      expect(created.status).toBe(201);
      const events = await readEvents(created);
      started.add(events[0]!.conversation_id as string);
      await finish(events[0]!.conversation_id as string);
      return ofType(events, "new-message").map((piece) => {
        const wav = pcm16OfWav(Buffer.from(piece.message as string, "base64"));
        expect(wav).toMatchObject({ sampleRateHz: 16_000, channels: 1 });
        const text = (piece.transcript_alignment as [number, string][]).map(([, c]) => c).join("");
        return { text, samples: wav.samples };
      });
    };
    const direct = async (text: string, voiceId: string) => {
      const parts: Int16Array[] = [];
      for await (const chunk of t.server.engines.tts.synthesize(text, {
        signal: new AbortController().signal,
        voiceId,
      })) {
        expect(chunk.sampleRateHz).toBe(16_000);
        parts.push(chunk.samples);
      }
      return joinSamples(parts);
    };

    // Each piece is exactly what the engine says with the version's voice, and not the other voice.
    for (const [versionSetName, voice, otherVoice] of [
      ["release", "flite:rms", "flite:slt"],
      ["slt", "flite:slt", "flite:rms"],
    ] as const) {
      const pieces = await greetingIn(versionSetName);
      expect(pieces.length).toBeGreaterThan(0);
      for (const piece of pieces) {
        const own = await direct(piece.text, voice);
        const other = await direct(piece.text, otherVoice);
        const lengths = `${versionSetName}: ${piece.samples.length} samples; ${voice} ${own.length}, ${otherVoice} ${other.length}`;
        expect(sameSamples(piece.samples, own), lengths).toBe(true);
        expect(sameSamples(piece.samples, other), lengths).toBe(false);
      }
    }
  });

  it("greets with voice when the conversation is created with response_format=voice", async () => {
    const created = await fetch(`${base}/conversation/?response_format=voice&audio_format=pcm`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ service_id: t.serviceId }),
    });
    const events = await readEvents(created);
    started.add(events[0]!.conversation_id as string);
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
    // The report names the engines that answered.
    expect(report).toMatchObject({ agent_engine: "rules", recognition: { engine: "pocketsphinx" } });
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
