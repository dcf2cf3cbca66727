import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealtimeClient, type ServerMessage } from "../helpers/realtime-client.js";
import { call, callStream, readEvents, type StreamEvent, textMessage } from "../helpers/http-client.js";
import { pcm16OfWav, transcribe } from "../helpers/reply-audio.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectEventsMatchSpec } from "../helpers/spec-validator.js";
import { wer } from "../helpers/wer.js";

/** The demo graph's open-slots tool: its authored fillers, triggered after 1.5 s. */
const TOOL_FILLERS = ["Let me look at the calendar.", "One moment please, I am checking the calendar."];
const TRIGGER_MS = 1500;
/** A spoken filler run back through PocketSphinx against its phrase (Flite rms, 5–9 words). */
const FILLER_MAX_WER = 0.6;
const REASON = "I have had a sore throat since Monday";

type Action = { type: string; [field: string]: unknown };
const actionType = (e: { type: string; action?: unknown }) =>
  e.type.endsWith("current-agent-action") ? (e.action as Action).type : undefined;

async function server(env: Record<string, string>): Promise<TestServer> {
  return startTestServer({ store: "sqlite", env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000", ...env } });
}

/** A new conversation (text greeting), then the reason for the visit, which calls the open-slots tool. */
async function reasonTurn(t: TestServer, responseFormat: "text" | "voice") {
  const token = await t.token();
  const base = `${t.baseUrl}/v1/${t.orgId}`;
  const created = await callStream(`${base}/conversation/?response_format=text`, token, {
    json: { service_id: t.serviceId },
  });
  const id = created.events[0]!.conversation_id as string;
  const response = await fetch(
    `${base}/conversation/${id}/interact?request_format=text&response_format=${responseFormat}&include_latency_report=true`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, accept: "audio/wav" },
      body: textMessage(REASON),
    },
  );
  expect(response.status).toBe(200);
  const events = await readEvents(response);
  expectEventsMatchSpec(events.filter((e) => e.type !== "latency-report"));
  const complete = events.find((e) => e.type === "interaction-complete")!;
  const stored = await t.server.store.getInteraction(t.orgId, id, complete.interaction_id as string);
  const messages = await call<{ messages: { message_type: string; message: string }[] }>(
    `${base}/conversation/${id}/messages/?limit=100`,
    token,
  );
  await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  return { events, complete, stored, messages: messages.body.messages };
}

const indexOf = (events: StreamEvent[], type: string) => events.findIndex((e) => actionType(e) === type);

describe("fillers with the demo's slow open-slots tool (2.5 s)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await server({ PARLEY_DEMO_TOOL_DELAY_MS: "2500" });
  });
  afterAll(async () => t.close());

  it("HTTP voice: the spoken filler comes after the tool started, before it ended and before the answer", async () => {
    const { events, complete, stored, messages } = await reasonTurn(t, "voice");
    const startedAt = indexOf(events, "tool-call-started");
    const fillerAt = indexOf(events, "action-too-long");
    const endedAt = indexOf(events, "tool-call-ended");
    const answerAt = events.findIndex((e) => e.type === "new-message");
    expect(startedAt).toBeGreaterThanOrEqual(0);
    expect(fillerAt).toBeGreaterThan(startedAt);
    expect(endedAt).toBeGreaterThan(fillerAt);
    expect(answerAt).toBeGreaterThan(endedAt);
    expect(events.filter((e) => actionType(e) === "action-too-long")).toHaveLength(1);

    // The filler decodes: a mono 16 kHz WAV that says one of the tool's fillers.
    const wav = pcm16OfWav(Buffer.from((events[fillerAt]!.action as { filler: string }).filler, "base64"));
    expect(wav.sampleRateHz).toBe(16_000);
    expect(wav.channels).toBe(1);
    const heard = await transcribe(t.server.engines.stt, wav.samples);
    expect(Math.min(...TOOL_FILLERS.map((phrase) => wer(phrase, heard))), heard).toBeLessThanOrEqual(
      FILLER_MAX_WER,
    );

    // The report tells the filler's audio and the answer's apart; the filler cannot come before its trigger.
    const report = events.find((e) => e.type === "latency-report")!;
    expect(report.first_audio_ms as number).toBeLessThan(report.first_answer_audio_ms as number);
    expect(report.first_filler_ms as number).toBe(report.first_audio_ms);

    // Stored: the tool's events, no filler among the actions, no filler in the agent's message.
    const actions = (stored?.insights.actions ?? []) as Action[];
    expect(actions.map((a) => a.type)).toEqual(
      expect.arrayContaining(["tool-call-started", "tool-call-ended"]),
    );
    expect(actions.some((a) => a.type === "action-too-long")).toBe(false);
    const agentMessage = messages.filter((m) => m.message_type === "agent-message").at(-1)!;
    expect(agentMessage.message).toBe(complete.full_message);
    for (const phrase of TOOL_FILLERS) expect(agentMessage.message).not.toContain(phrase);
  });

  it("WebSocket voice: the filler plays into the agent's audio, wholly before the answer's audio", async () => {
    const token = await t.token();
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    client.send({ type: "client.new-text-message", text: REASON });
    const userMessage = await client.waitFor((m) => m.type === "server.user-message-available", "the turn");
    const done = await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > userMessage.seq,
      "the answer",
      30_000,
    );
    client.send({ type: "client.finish-conversation" });
    await client.closed;
    const turn = client.messages.filter((m) => m.seq > userMessage.seq && m.seq <= done.seq);
    const seqOf = (test: (m: ServerMessage) => boolean) => turn.find(test)?.seq ?? -1;
    const fillerChunks = turn.filter((m) => m.type === "server.new-message" && m.filler === true);
    const answerChunks = turn.filter((m) => m.type === "server.new-message" && m.filler === false);
    expect(seqOf((m) => actionType(m) === "action-too-long")).toBeGreaterThan(
      seqOf((m) => actionType(m) === "tool-call-started"),
    );
    expect(fillerChunks.length).toBeGreaterThan(0);
    expect(fillerChunks[0]!.seq).toBeGreaterThan(seqOf((m) => actionType(m) === "tool-call-started"));
    expect(Math.max(...fillerChunks.map((m) => m.seq))).toBeLessThan(answerChunks[0]!.seq);
    expect(fillerChunks.at(-1)!.stop).toBe(true);
    for (const phrase of TOOL_FILLERS) expect(done.full_message).not.toContain(phrase);
    expect(created.conversation_id).toBeTypeOf("string");
  });
});

describe("no filler when the tool answers before the trigger", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await server({ PARLEY_DEMO_TOOL_DELAY_MS: "0" });
  });
  afterAll(async () => t.close());

  it("a fast tool gets no filler", async () => {
    const { events } = await reasonTurn(t, "text");
    expect(indexOf(events, "tool-call-ended")).toBeGreaterThan(indexOf(events, "tool-call-started"));
    expect(indexOf(events, "action-too-long")).toBe(-1);
    const report = events.find((e) => e.type === "latency-report")!;
    expect(report.first_filler_ms).toBeNull();
  });
});

describe("a tool that times out after its filler", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await server({
      PARLEY_DEMO_TOOL_DELAY_MS: "5000",
      PARLEY_TOOL_TIMEOUT_MS: String(TRIGGER_MS + 1000),
    });
  });
  afterAll(async () => t.close());

  it("gets the filler, then the tool's timeout failure, then the fallback answer", async () => {
    const { events, complete } = await reasonTurn(t, "text");
    const fillerAt = indexOf(events, "action-too-long");
    const endedAt = indexOf(events, "tool-call-ended");
    expect(fillerAt).toBeGreaterThan(indexOf(events, "tool-call-started"));
    expect(endedAt).toBeGreaterThan(fillerAt);
    expect(JSON.parse((events[endedAt]!.action as { result: string }).result)).toMatchObject({
      error: { code: "timeout" },
    });
    expect(TOOL_FILLERS).toContain((events[fillerAt]!.action as { filler: string }).filler);
    expect(complete.full_message).toMatch(/next available appointment is tomorrow at ten in the morning/i);
  });
});
