import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, callStream, type StreamEvent, textMessage } from "../helpers/http-client.js";
import { pcm16OfWav, transcribe } from "../helpers/reply-audio.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import {
  SLOW_STEP_FILLERS,
  SLOW_STEP_STARTED,
  SLOW_STEP_TRIGGER_S,
  slowStepAgent,
} from "../helpers/slow-step-agent.js";
import { expectEventsMatchSpec } from "../helpers/spec-validator.js";
import { wer } from "../helpers/wer.js";

/**
 * Highest word error rate accepted when a spoken filler (Flite rms, 4-5 words) is run back through
 * PocketSphinx against its phrase. Silence or noise of the right length scores 1.
 */
const FILLER_MAX_WER = 0.6;

interface TimedEvent {
  event: StreamEvent;
  atMs: number;
}

/**
 * POSTs an interaction and reads its NDJSON as it arrives, calling `onEvent` for each event (so a test
 * can let a held step go once it has seen the filler). Resolves with every event and its arrival time.
 */
async function streamInteraction(
  url: string,
  token: string,
  form: FormData,
  onEvent: (event: StreamEvent) => void,
  accept?: string,
): Promise<TimedEvent[]> {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...(accept === undefined ? {} : { accept }) },
    body: form,
  });
  expect(response.status).toBe(200);
  const events: TimedEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line !== "") {
        const event = JSON.parse(line) as StreamEvent;
        events.push({ event, atMs: performance.now() });
        onEvent(event);
      }
      newline = buffered.indexOf("\n");
    }
  }
  return events;
}

const isFiller = (event: StreamEvent) =>
  event.type === "current-agent-action" && (event.action as { type: string }).type === "action-too-long";

describe("audio fillers over HTTP", () => {
  let t: TestServer;
  let token: string;
  let base: string;
  const agent = slowStepAgent();
  const started = new Set<string>();

  beforeAll(async () => {
    t = await startTestServer({ store: "sqlite", agent, env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" } });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
  });
  afterAll(async () => t.close());
  afterEach(async () => {
    agent.release();
    for (const id of started) await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
    started.clear();
  });

  const newConversation = async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]!.conversation_id as string;
    started.add(id);
    return id;
  };
  const interactUrl = (id: string, responseFormat: "text" | "voice", query = "") =>
    `${base}/conversation/${id}/interact?request_format=text&response_format=${responseFormat}${query}`;

  /** Runs a slow-step turn: the step is let go as soon as its filler has arrived. */
  const slowTurn = (id: string, responseFormat: "text" | "voice", query = "", accept?: string) =>
    streamInteraction(
      interactUrl(id, responseFormat, query),
      token,
      textMessage("slowStep I have had a sore throat for three days"),
      (event) => {
        if (isFiller(event)) agent.release();
      },
      accept,
    );

  it("sends the filler text after the step's trigger and before the answer (text mode)", async () => {
    const id = await newConversation();
    const timed = await slowTurn(id, "text");
    const events = timed.map((e) => e.event);
    expectEventsMatchSpec(events);
    const stepAt = timed.findIndex(
      (e) =>
        e.event.type === "current-agent-action" &&
        (e.event.action as { type: string }).type === "tool-call-started",
    );
    const fillerAt = timed.findIndex((e) => isFiller(e.event));
    const answerAt = timed.findIndex((e) => e.event.type === "new-message");
    expect(stepAt).toBeGreaterThanOrEqual(0);
    expect(fillerAt).toBeGreaterThan(stepAt);
    expect(answerAt).toBeGreaterThan(fillerAt);
    expect(timed.filter((e) => isFiller(e.event))).toHaveLength(1);
    // The trigger is a lower bound: the filler cannot come sooner (the step is held until it came).
    expect(timed[fillerAt]!.atMs - timed[stepAt]!.atMs).toBeGreaterThanOrEqual(
      SLOW_STEP_TRIGGER_S * 1000 - 20,
    );
    const action = timed[fillerAt]!.event.action as Record<string, unknown>;
    expect(SLOW_STEP_FILLERS).toContain(action.filler);
    expect(action.previously_started_event).toEqual(SLOW_STEP_STARTED);

    // Neither the streamed answer nor the stored agent message holds the filler; the step's action is kept.
    const complete = events.find((e) => e.type === "interaction-complete")!;
    const answer = events
      .filter((e) => e.type === "new-message")
      .map((e) => e.message)
      .join("");
    expect(answer).toBe(complete.full_message);
    for (const phrase of SLOW_STEP_FILLERS) expect(answer).not.toContain(phrase);
    const messages = await call<{ messages: { message_type: string; message: string }[] }>(
      `${base}/conversation/${id}/messages/?limit=100`,
      token,
    );
    const agentMessages = messages.body.messages.filter((m) => m.message_type === "agent-message");
    expect(agentMessages.at(-1)!.message).toBe(complete.full_message);
    for (const m of agentMessages)
      for (const phrase of SLOW_STEP_FILLERS) expect(m.message).not.toContain(phrase);
    // The stored interaction keeps the step's action event, and no filler among its actions.
    const stored = await t.server.store.getInteraction(t.orgId, id, complete.interaction_id as string);
    const storedActions = JSON.stringify(stored?.insights ?? null);
    expect(storedActions).toContain("tool-call-started");
    expect(storedActions).not.toContain("action-too-long");
  });

  it("sends no filler for a step that ends before its trigger", async () => {
    const id = await newConversation();
    const response = await callStream(interactUrl(id, "text"), token, {
      form: textMessage("fastStep I have had a sore throat for three days"),
    });
    expect(response.status).toBe(200);
    expect(response.events.some((e) => isFiller(e))).toBe(false);
    expect(response.events.some((e) => e.type === "interaction-complete")).toBe(true);
  });

  it("follows the action filter: a filler made but excluded by the pattern is not sent", async () => {
    const id = await newConversation();
    const pattern = encodeURIComponent("^tool-call-.*$");
    const response = await callStream(
      interactUrl(id, "text", `&current_agent_action_type=${pattern}&include_latency_report=true`),
      token,
      { form: textMessage("slowStepFor800ms I have had a sore throat for three days") },
    );
    expect(response.status).toBe(200);
    const actions = response.events.filter((e) => e.type === "current-agent-action");
    // Only tool-call actions pass the pattern (the slow step's, and the demo graph's own tool call).
    const types = actions.map((e) => (e.action as { type: string }).type);
    expect(types[0]).toBe("tool-call-started");
    expect(types.every((type) => /^tool-call-/.test(type))).toBe(true);
    // The filler was made (the step outlived its trigger): the latency report saw it.
    const report = response.events.find((e) => e.type === "latency-report")!;
    expect(report.first_filler_ms).not.toBeNull();
  });

  it("sends the filler as a 16 kHz mono WAV that speaks the phrase (voice mode)", async () => {
    const id = await newConversation();
    const timed = await slowTurn(id, "voice", "", "audio/mpeg");
    const events = timed.map((e) => e.event);
    expectEventsMatchSpec(events);
    const fillerAt = events.findIndex((e) => isFiller(e));
    expect(fillerAt).toBeGreaterThanOrEqual(0);
    expect(events.findIndex((e) => e.type === "new-message")).toBeGreaterThan(fillerAt);
    const wav = pcm16OfWav(Buffer.from((events[fillerAt]!.action as { filler: string }).filler, "base64"));
    expect(wav.sampleRateHz).toBe(16_000);
    expect(wav.channels).toBe(1);
    const heard = await transcribe(t.server.engines.stt, wav.samples);
    const best = Math.min(...SLOW_STEP_FILLERS.map((phrase) => wer(phrase, heard)));
    expect(best, heard).toBeLessThanOrEqual(FILLER_MAX_WER);
  });
});
