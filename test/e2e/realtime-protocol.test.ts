import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callStream } from "../helpers/http-client.js";
import { RealtimeClient } from "../helpers/realtime-client.js";
import { signedInServer, type TestServer } from "../helpers/server.js";

/** `durationMs` of silence at 16 kHz, as PCM16 bytes. */
const silenceBytes = (durationMs: number) => Buffer.alloc(2 * 16 * durationMs);

describe("real-time protocol limits: finished conversations, chunk and frame sizes, idle while dropped", () => {
  let t: TestServer;
  let token: string;
  let base: string;

  // The default 30 s resume grace period: an idle close must end a dropped session before it.
  beforeAll(async () => {
    ({ t, token, base } = await signedInServer({
      store: "sqlite",
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" },
    }));
  });
  afterAll(() => t.close());

  const finish = (id: string) => call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });

  /** A manual-mode text session whose greeting is complete. */
  async function greetedTextSession(
    start: Record<string, unknown> = {},
  ): Promise<{ client: RealtimeClient; id: string; resumeToken: string }> {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", service_id: t.serviceId, ...start });
    const created = await client.next("server.conversation-created");
    await client.waitFor((m) => m.type === "server.interaction-complete", "the greeting", 30_000);
    return { client, id: created.conversation_id as string, resumeToken: created.resume_token as string };
  }

  it("closes 4410 (server.error 410) when the start names a finished conversation", async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]!.conversation_id as string;
    expect((await finish(id)).status).toBeLessThan(300);
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token, "response_format=text");
    client.send({ type: "client.start-conversation", conversation_id: id });
    expect(await client.closed).toBe(4410);
    expect(client.ofType("server.error")).toMatchObject([
      { http_error_code: 410, code: "conversation_finished", fatal: true },
    ]);
    expect(client.ofType("server.conversation-created")).toEqual([]);
  });

  it("drops an input chunk over 2 s with a non-fatal 422 (client_event_id echoed) and takes a 2 s one", async () => {
    const { client, id } = await greetedTextSession();
    // Over 2 s, as base64 and as a binary frame: refused and dropped, so audio: null ends no utterance.
    client.send({
      type: "client.new-audio-message",
      audio: silenceBytes(2010).toString("base64"),
      client_event_id: "too-long",
    });
    client.socket.send(silenceBytes(2010));
    client.send({ type: "client.new-audio-message", audio: null });
    client.send({ type: "client.new-text-message", text: "I have a sore throat" });
    const answered = await client.next("server.interaction-complete", 30_000);
    const refusals = client.ofType("server.error");
    expect(refusals).toMatchObject([
      { http_error_code: 422, code: "unprocessable", fatal: false, client_event_id: "too-long" },
      { http_error_code: 422, code: "unprocessable", fatal: false },
    ]);
    expect(refusals[1]!.client_event_id).toBeUndefined();
    // Exactly 2 s is taken: its utterance of silence ends in "no speech recognized" (400).
    client.send({ type: "client.new-audio-message", audio: silenceBytes(2000).toString("base64") });
    client.send({ type: "client.new-audio-message", audio: null });
    const noSpeech = await client.waitFor(
      (m) => m.type === "server.error" && m.seq > answered.seq,
      "the 2 s chunk's turn",
      30_000,
    );
    expect(noSpeech).toMatchObject({ http_error_code: 400, fatal: false });
    client.send({ type: "client.close-connection" });
    expect(await client.closed).toBe(1000);
    await finish(id);
  });

  it("closes 1009 on a frame over 1 MiB", async () => {
    const { client, id } = await greetedTextSession();
    client.socket.send(Buffer.alloc(1024 * 1024 + 2));
    expect(await client.closed).toBe(1009);
    await finish(id);
  });

  it("records a dropped session closed by its idle timeout as expired: a later resume gets 4410", async () => {
    const { client, id, resumeToken } = await greetedTextSession({ idle_timeout_s: 2 });
    client.socket.terminate();
    await client.closed;
    // Past the 2 s idle timeout, well within the 30 s grace period.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const late = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    late.send({ type: "client.resume", conversation_id: id, resume_token: resumeToken, last_seq: 0 });
    expect(await late.closed).toBe(4410);
    expect(late.ofType("server.error")[0]).toMatchObject({ http_error_code: 410, code: "resume_expired" });
    expect(late.ofType("server.resumed")).toEqual([]);
    await finish(id);
  });
});
