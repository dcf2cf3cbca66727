import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import type { AgentEngine, AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";
import { GatedStt } from "../helpers/gated-stt.js";
import { call } from "../helpers/http-client.js";
import { RealtimeClient, type ServerMessage } from "../helpers/realtime-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** How the held agent's last turn ended: its `done`, or the reason it was stopped. */
type Ending = { completed: true } | { completed: false; reason: unknown };

/**
 * The rules agent, held mid-reply: when the user's message ends with `holdAfterFirstPiece` it yields its first
 * reply piece, then waits until the turn is aborted (so the reply is still being produced while its
 * first sentence plays); with `holdBeforeReply` it waits before any piece. `ended` tells how the last
 * held turn ended.
 */
function heldAgent(): AgentEngine & { ended: () => Promise<Ending> } {
  const rules = createRulesAgentEngine();
  let endings: ((ending: Ending) => void)[] = [];
  const untilAborted = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason as Error);
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
    });
  return {
    ...rules,
    name: "held",
    expectedUserReplies: (graph, state) => rules.expectedUserReplies(graph, state),
    ended: () => new Promise<Ending>((resolve) => endings.push(resolve)),
    async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
      const text = input.userMessage?.text ?? "";
      let ending: Ending = { completed: false, reason: "not read to the end" };
      let pieces = 0;
      try {
        for await (const event of rules.runTurn(input, options)) {
          if (event.kind === "text-delta" && pieces === 0 && text.endsWith("holdBeforeReply"))
            await untilAborted(options.signal);
          if (event.kind === "done") ending = { completed: true };
          yield event;
          if (event.kind === "text-delta") {
            pieces += 1;
            if (text.endsWith("holdAfterFirstPiece")) await untilAborted(options.signal);
          }
        }
      } catch (error) {
        ending = { completed: false, reason: error };
        throw error;
      } finally {
        const waiting = endings;
        endings = [];
        for (const resolve of waiting) resolve(ending);
      }
    },
  };
}

describe("real-time barge-in while the reply is still being produced", () => {
  let t: TestServer;
  let token: string;
  const agent = heldAgent();
  // Manual-mode utterances are "hello there"; held, their turns wait for recognition.
  const stt = new GatedStt("hello there");

  beforeAll(async () => {
    t = await startTestServer({
      store: "sqlite",
      agent,
      engines: { stt },
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" },
    });
    token = await t.token();
  });
  afterAll(() => t.close());

  const storedMessages = async (id: string) =>
    (
      await call<{ messages: { message: string; sender_type?: string }[] }>(
        `${t.baseUrl}/v1/${t.orgId}/conversation/${id}/messages/?limit=100`,
        token,
      )
    ).body.messages;

  const finish = (id: string) =>
    call(`${t.baseUrl}/v1/${t.orgId}/conversation/${id}/finish/`, token, { method: "POST" });

  /** A voice session whose greeting has played out. */
  async function greeted(): Promise<{ client: RealtimeClient; id: string }> {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    client.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    return { client, id: created.conversation_id as string };
  }

  /** Sends a message whose reply the agent holds after its first piece; returns the message and that audio. */
  async function replyHeldAfterFirstPiece(
    client: RealtimeClient,
  ): Promise<{ asked: ServerMessage; firstAudio: ServerMessage }> {
    client.send({ type: "client.new-text-message", text: "I have a sore throat holdAfterFirstPiece" });
    const asked = await client.waitFor((m) => m.type === "server.user-message-available", "the message");
    const firstAudio = await client.waitFor(
      (m) => m.type === "server.new-message" && m.seq > asked.seq && (m.duration_ms as number) > 0,
      "the reply's first audio",
    );
    return { asked, firstAudio };
  }

  it("keeps the heard prefix when some audio was heard, and stops the agent", async () => {
    const { client, id } = await greeted();
    const { asked, firstAudio } = await replyHeldAfterFirstPiece(client);
    const ending = agent.ended();
    // The client says it played 600 ms of the reply, then the user interrupts.
    client.send({ type: "client.playback-position", message_id: firstAudio.message_id, played_ms: 600 });
    client.send({ type: "client.interrupt" });
    const interrupted = await client.waitFor(
      (m) => m.type === "server.agent-interrupted" && m.seq > asked.seq,
      "the interruption",
    );
    expect(interrupted.rolled_back).toBe(false);
    expect(interrupted.heard_ms).toBe(600);
    const heard = interrupted.heard_text as string;
    expect(heard.length).toBeGreaterThan(0);
    // What was heard: the first characters of the reply's first piece, by its alignment.
    const alignment = client.messages
      .filter((m) => m.type === "server.new-message" && m.message_id === firstAudio.message_id)
      .flatMap((m) => (m.transcript_alignment as [number, string][] | null) ?? []);
    const spokenBefore600 = alignment
      .filter(([ms]) => ms < 600)
      .map(([, c]) => c)
      .join("");
    expect(heard).toBe(spokenBefore600.trim());
    const done = await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > interrupted.seq,
      "the cut reply's completion",
    );
    expect(done.interrupted).toBe(true);
    expect(done.full_message).toBe(heard);
    // No audio of that reply follows the interruption; the agent's turn was stopped.
    expect(
      client.messages.filter(
        (m: ServerMessage) =>
          m.type === "server.new-message" &&
          m.message_id === firstAudio.message_id &&
          m.seq > interrupted.seq,
      ),
    ).toEqual([]);
    expect((await ending).completed).toBe(false);
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    const stored = await storedMessages(id);
    expect(stored.map((m) => m.message)).toEqual([
      stored[0]!.message,
      "I have a sore throat holdAfterFirstPiece",
      heard,
    ]);
    await finish(id);
  });

  it("rolls back a reply interrupted before any of it was heard, and carries its words and external events on", async () => {
    const { client, id } = await greeted();
    client.send({
      type: "client.new-text-message",
      text: "the caller is on a phone",
      message_type: "external-event",
    });
    client.send({ type: "client.new-text-message", text: "I have a sore throat holdBeforeReply" });
    const asked = await client.waitFor((m) => m.type === "server.user-message-available", "the message");
    const ending = agent.ended();
    client.send({ type: "client.new-text-message", text: "and my ear hurts" });
    const interrupted = await client.waitFor(
      (m) => m.type === "server.agent-interrupted" && m.seq > asked.seq,
      "the interruption",
    );
    expect(interrupted.rolled_back).toBe(true);
    expect(interrupted.heard_text).toBe("");
    expect((await ending).completed).toBe(false);
    const carried = await client.waitFor(
      (m) => m.type === "server.user-message-available" && m.seq > interrupted.seq,
      "the next message",
    );
    expect(carried.user_message).toBe("I have a sore throat holdBeforeReply and my ear hurts");
    await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > carried.seq,
      "the next reply",
      30_000,
    );
    expect(
      client.messages.some(
        (m) => m.type === "server.interaction-complete" && m.seq > asked.seq && m.seq < interrupted.seq,
      ),
    ).toBe(false);
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    const stored = await storedMessages(id);
    expect(stored.map((m) => m.message).slice(1, 3)).toEqual([
      "the caller is on a phone",
      "I have a sore throat holdBeforeReply and my ear hurts",
    ]);
    expect(stored.length).toBe(4);
    await finish(id);
  });

  it("interrupts a reply with a manual-mode audio: null: the heard prefix is kept, the utterance is the next turn", async () => {
    const { client, id } = await greeted();
    const { asked, firstAudio } = await replyHeldAfterFirstPiece(client);
    const ending = agent.ended();
    client.send({ type: "client.playback-position", message_id: firstAudio.message_id, played_ms: 600 });
    client.socket.send(Buffer.alloc(2 * 16 * 200));
    client.send({ type: "client.new-audio-message", audio: null });
    const interrupted = await client.waitFor(
      (m) => m.type === "server.agent-interrupted" && m.seq > asked.seq,
      "the interruption",
    );
    expect(interrupted.rolled_back).toBe(false);
    expect(interrupted.heard_ms).toBe(600);
    const heard = interrupted.heard_text as string;
    expect(heard.length).toBeGreaterThan(0);
    const done = await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > interrupted.seq,
      "the cut reply's completion",
    );
    expect(done).toMatchObject({ interrupted: true, full_message: heard });
    expect((await ending).completed).toBe(false);
    const next = await client.waitFor(
      (m) => m.type === "server.user-message-available" && m.seq > done.seq,
      "the utterance's turn",
    );
    expect(next.user_message).toBe("hello there");
    await client.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > next.seq,
      "the next reply",
      30_000,
    );
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    const stored = await storedMessages(id);
    expect(stored.map((m) => m.message).slice(1, 4)).toEqual([
      "I have a sore throat holdAfterFirstPiece",
      heard,
      "hello there",
    ]);
    await finish(id);
  });

  it("lets at most 4 turns wait behind the running one; a fifth gets a non-fatal 429 and is dropped", async () => {
    const { client, id } = await greeted();
    // The running turn waits for its held recognition (no reply yet, so nothing to interrupt); the
    // manual-mode turns after it queue up.
    stt.hold();
    const silence = Buffer.alloc(2 * 16 * 200);
    const greetedAt = client.messages.length;
    for (let turn = 0; turn < 6; turn += 1) {
      client.socket.send(silence);
      client.send({ type: "client.new-audio-message", audio: null, client_event_id: `turn-${turn}` });
    }
    const refused = await client.waitFor(
      (m) => m.type === "server.error" && client.messages.indexOf(m) >= greetedAt,
      "the refusal of the sixth turn",
    );
    expect(refused).toMatchObject({ http_error_code: 429, code: "rate_limited", fatal: false });
    expect(client.ofType("server.error").length).toBe(1);
    expect(client.ofType("server.agent-interrupted")).toEqual([]);
    client.close();
    await client.closed;
    stt.release();
    await finish(id).catch(() => undefined);
  });
});
