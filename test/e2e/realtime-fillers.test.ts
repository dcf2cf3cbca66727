import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http-client.js";
import { RealtimeClient, type ServerMessage } from "../helpers/realtime-client.js";
import { pcm16OfWav } from "../helpers/reply-audio.js";
import { signedInServer, type TestServer } from "../helpers/server.js";
import { SLOW_STEP_FILLERS, SLOW_STEP_STARTED, slowStepAgent } from "../helpers/slow-step-agent.js";

const isFillerAction = (m: ServerMessage) =>
  m.type === "server.current-agent-action" && (m.action as { type: string }).type === "action-too-long";
const isFillerChunk = (m: ServerMessage) => m.type === "server.new-message" && m.filler === true;

describe("fillers over the real-time WebSocket", () => {
  let t: TestServer;
  let token: string;
  let base: string;
  const agent = slowStepAgent();

  beforeAll(async () => {
    ({ t, token, base } = await signedInServer({
      store: "sqlite",
      agent,
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" },
    }));
  });
  afterAll(() => t.close());

  /** Starts a conversation, waits for the greeting, and sends `text` as the user's turn. */
  async function turn(query: string, text: string, onFiller = () => agent.release()) {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, query);
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    const before = client.messages.length;
    void client
      .waitFor((m) => isFillerChunk(m) && client.messages.indexOf(m) >= before, "a filler")
      .then(onFiller, () => undefined);
    client.send({ type: "client.new-text-message", text });
    const userMessage = await client.waitFor(
      (m) => m.type === "server.user-message-available",
      "the user message",
    );
    const done = await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > userMessage.seq,
      "the reply",
      30_000,
    );
    const turnMessages = client.messages.filter((m) => m.seq > userMessage.seq && m.seq <= done.seq);
    client.send({ type: "client.finish-conversation" });
    await client.closed;
    return { id: created.conversation_id as string, done, turnMessages };
  }

  it("plays a spoken filler after the slow step and before the answer, never over it", async () => {
    const { id, done, turnMessages } = await turn("", "slowStep I have had a sore throat for three days");
    const action = turnMessages.find(isFillerAction)!;
    expect(action).toBeDefined();
    expect((action.action as { previously_started_event: unknown }).previously_started_event).toEqual(
      SLOW_STEP_STARTED,
    );
    const wav = pcm16OfWav(Buffer.from((action.action as { filler: string }).filler, "base64"));
    expect(wav.sampleRateHz).toBe(16_000);
    expect(wav.channels).toBe(1);

    const stepAt = turnMessages.find(
      (m) =>
        m.type === "server.current-agent-action" &&
        (m.action as { type: string }).type === "tool-call-started",
    )!.seq;
    const fillerChunks = turnMessages.filter(isFillerChunk);
    const answerChunks = turnMessages.filter((m) => m.type === "server.new-message" && m.filler === false);
    expect(fillerChunks.length).toBeGreaterThan(0);
    expect(answerChunks.length).toBeGreaterThan(0);
    expect(fillerChunks[0]!.seq).toBeGreaterThan(stepAt);
    // Every filler chunk goes out before the answer's first chunk, the last saying stop.
    expect(Math.max(...fillerChunks.map((m) => m.seq))).toBeLessThan(answerChunks[0]!.seq);
    expect(fillerChunks.at(-1)!.stop).toBe(true);
    expect(fillerChunks.every((m) => m.sequence_number === undefined)).toBe(true);
    expect(answerChunks.map((m) => m.sequence_number)).toEqual(answerChunks.map((_, i) => i));
    // The filler's chunks are its own audio: no longer than the whole phrase.
    const fillerMs = fillerChunks.reduce((n, m) => n + (m.duration_ms as number), 0);
    expect(fillerMs).toBeGreaterThan(0);
    expect(fillerMs).toBeLessThanOrEqual(wav.samples.length / 16 + fillerChunks.length);

    expect(done.interrupted).toBe(false);
    const messages = await call<{ messages: { message_type: string; message: string }[] }>(
      `${base}/conversation/${id}/messages/?limit=100`,
      token,
    );
    const agentMessages = messages.body.messages.filter((m) => m.message_type === "agent-message");
    expect(agentMessages.at(-1)!.message).toBe(done.full_message);
    for (const phrase of SLOW_STEP_FILLERS) expect(done.full_message).not.toContain(phrase);
  });

  it("sends the filler as a text message in text mode", async () => {
    const { turnMessages, done } = await turn("response_format=text", "slowStep I have had a sore throat");
    const fillers = turnMessages.filter(isFillerChunk);
    expect(fillers).toHaveLength(1);
    expect(SLOW_STEP_FILLERS).toContain(fillers[0]!.message);
    const answer = turnMessages.filter((m) => m.type === "server.new-message" && m.filler !== true);
    expect(answer[0]!.seq).toBeGreaterThan(fillers[0]!.seq);
    expect(answer.map((m) => m.message).join("")).toBe(done.full_message);
  });

  it("plays no filler for a step that ends before its trigger", async () => {
    const { turnMessages } = await turn("", "fastStep I have had a sore throat");
    expect(turnMessages.filter(isFillerChunk)).toEqual([]);
    expect(turnMessages.filter(isFillerAction)).toEqual([]);
  });
});
