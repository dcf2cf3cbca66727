import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http-client.js";
import { RealtimeClient, type ServerMessage } from "../helpers/realtime-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("real-time resume after a dropped connection", () => {
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    t = await startTestServer({
      store: "sqlite",
      // A short grace period, so that the expiry test does not wait 30 s.
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000", PARLEY_RESUME_GRACE_MS: "1500" },
    });
    token = await t.token();
  });
  afterAll(() => t.close());

  const finish = (id: string) =>
    call(`${t.baseUrl}/v1/${t.orgId}/conversation/${id}/finish/`, token, { method: "POST" });
  const storedMessages = async (id: string) =>
    (
      await call<{ messages: { message: string }[] }>(
        `${t.baseUrl}/v1/${t.orgId}/conversation/${id}/messages/?limit=100`,
        token,
      )
    ).body.messages;

  /** A voice session dropped (no close frame) while the greeting's audio plays. */
  async function droppedDuringGreeting(): Promise<{
    first: RealtimeClient;
    id: string;
    resumeToken: string;
  }> {
    const first = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    first.send({ type: "client.start-conversation", service_id: t.serviceId });
    const created = await first.next("server.conversation-created");
    await first.waitFor((m) => m.type === "server.new-message", "the greeting's audio");
    first.socket.terminate();
    await first.closed;
    return { first, id: created.conversation_id as string, resumeToken: created.resume_token as string };
  }

  it("replays every message after last_seq on a new socket, then server.resumed, and the session goes on", async () => {
    const { first, id, resumeToken } = await droppedDuringGreeting();
    expect(resumeToken.length).toBeGreaterThan(20);
    // The client claims it got only the first message: everything after it comes again.
    const second = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    second.send({ type: "client.resume", conversation_id: id, resume_token: resumeToken, last_seq: 1 });
    const resumed = await second.next("server.resumed");
    expect(resumed.last_seq).toBe(1);
    const replayed = second.messages.filter((m) => m.seq < resumed.seq);
    expect(replayed.length).toBe(resumed.replayed);
    expect(replayed.map((m) => m.seq)).toEqual(replayed.map((_, i) => i + 2));
    // What the first socket got is the same as what was replayed, message for message.
    for (const got of first.messages.filter((m) => m.seq > 1))
      expect(replayed.find((m) => m.seq === got.seq)).toEqual(got);
    // The greeting finishes (its audio played by the pacing clock while no socket was attached).
    const greeting = await second.waitFor(
      (m) => m.type === "server.interaction-complete",
      "the greeting",
      30_000,
    );
    expect(greeting.interrupted).toBe(false);
    const audio = second.messages.filter(
      (m: ServerMessage) => m.type === "server.new-message" && m.message_id === greeting.message_id,
    );
    expect(audio.map((m) => m.sequence_number)).toEqual(audio.map((_, i) => i));
    expect(audio.at(-1)!.stop).toBe(true);
    // Every seq once, in order, across the replay and what followed.
    expect(second.messages.map((m) => m.seq)).toEqual(second.messages.map((_, i) => i + 2));
    // The session answers on the new socket.
    second.send({ type: "client.new-text-message", text: "I have a sore throat" });
    const answered = await second.waitFor(
      (m) => m.type === "server.interaction-complete" && m.seq > resumed.seq && m.seq > greeting.seq,
      "the answer",
      30_000,
    );
    expect(typeof answered.full_message).toBe("string");
    second.send({ type: "client.close-connection" });
    expect(await second.closed).toBe(1000);
    expect((await storedMessages(id)).length).toBe(3);
    await finish(id);
  });

  it("refuses a bad token (4401) and an unknown conversation (4404); a good resume still works after", async () => {
    const { id, resumeToken } = await droppedDuringGreeting();
    const badToken = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    badToken.send({ type: "client.resume", conversation_id: id, resume_token: "wrong", last_seq: 0 });
    expect(await badToken.closed).toBe(4401);
    expect(badToken.ofType("server.error")[0]).toMatchObject({ http_error_code: 401, fatal: true });

    const unknown = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    unknown.send({
      type: "client.resume",
      conversation_id: "000000000000000000000000",
      resume_token: resumeToken,
      last_seq: 0,
    });
    expect(await unknown.closed).toBe(4404);
    expect(unknown.ofType("server.error")[0]).toMatchObject({ http_error_code: 404, code: "not_found" });

    const good = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    good.send({ type: "client.resume", conversation_id: id, resume_token: resumeToken, last_seq: 0 });
    const resumed = await good.next("server.resumed");
    expect(good.messages[0]!.type).toBe("server.conversation-created");
    expect(resumed.replayed).toBe(resumed.seq - 1);
    await good.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    good.send({ type: "client.close-connection" });
    expect(await good.closed).toBe(1000);
    await finish(id);
  });

  it("ends the session when no resume comes within the grace period: a later resume gets 4410", async () => {
    const { id, resumeToken } = await droppedDuringGreeting();
    // Past the grace period (1.5 s here).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const late = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    late.send({ type: "client.resume", conversation_id: id, resume_token: resumeToken, last_seq: 0 });
    expect(await late.closed).toBe(4410);
    expect(late.ofType("server.error")[0]).toMatchObject({ http_error_code: 410, code: "resume_expired" });
    expect(late.ofType("server.resumed")).toEqual([]);
    // The session ended with its greeting unfinished: the opening turn was abandoned, nothing is kept.
    const again = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    again.send({ type: "client.start-conversation", conversation_id: id });
    expect(await again.closed).toBe(4404);
  });
});
