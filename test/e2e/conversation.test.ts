import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, callStream, type StreamEvent, textMessage } from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectEventsMatchSpec, expectResponseMatchesSpec } from "../helpers/spec-validator.js";
import { storeKinds } from "../helpers/store-fixtures.js";
import { probedAgent } from "../helpers/probed-agent.js";

const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.type === type);

/** Rejects when `promise` has not settled within `timeoutMs`: a bound on "not stalled", not a speed test. */
function notStalled<T>(promise: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

describe.each(storeKinds)("conversations over HTTP on %s", (store) => {
  let t: TestServer;
  let token: string;
  let base: string;
  const agent = probedAgent();

  beforeAll(async () => {
    t = await startTestServer({ store, agent, env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" } });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
  });
  afterAll(async () => t.close());

  // Conversations a test started; finished after it even when it fails, so one failure stays one failure.
  const started = new Set<string>();
  const create = async (auth = token, query = "response_format=text") => {
    const created = await callStream(`${base}/conversation/?${query}`, auth, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]?.conversation_id;
    if (typeof id === "string") started.add(id);
    return created;
  };
  afterEach(async () => {
    // A test that failed while a turn was held must not leave it holding the server open.
    agent.release();
    for (const id of started) await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
    started.clear();
  });
  const interact = (conversationId: string, text: string, auth = token, query = "") =>
    callStream(
      `${base}/conversation/${conversationId}/interact?request_format=text&response_format=text${query}`,
      auth,
      { form: textMessage(text) },
    );
  const messageCount = async (conversationId: string) =>
    (await call<{ messages: unknown[] }>(`${base}/conversation/${conversationId}/messages/?limit=100`, token))
      .body.messages.length;

  it("walks the demo service to its terminal state by text, with the agent's actions", async () => {
    const created = await create();
    expect(created.status).toBe(201);
    expect(created.contentType).toContain("application/x-ndjson");
    expectEventsMatchSpec(created.events);
    expect(created.events[0]?.type).toBe("conversation-created");
    const conversationId = created.events[0]!.conversation_id as string;
    const greeting = ofType(created.events, "new-message");
    expect(greeting.map((e) => e.sequence_number)).toEqual(greeting.map((_, i) => i));
    expect(greeting.at(-1)?.stop).toBe(true);
    expect(greeting.slice(0, -1).every((e) => e.stop === false)).toBe(true);
    const opening = ofType(created.events, "interaction-complete")[0]!;
    expect(greeting.map((e) => e.message).join("")).toBe(opening.full_message);

    const turns = [
      "I have had a sore throat for three days",
      "yes, that works for me",
      "no, that's everything",
    ];
    let last: StreamEvent[] = [];
    for (const text of turns) {
      const response = await interact(conversationId, text);
      expect(response.status).toBe(200);
      expectEventsMatchSpec(response.events);
      expect(response.events[0]).toMatchObject({ type: "user-message-available", user_message: text });
      expect(ofType(response.events, "current-agent-action").length).toBeGreaterThan(0);
      last = response.events;
    }
    const actionTypes = ofType(last, "current-agent-action").map((e) => (e.action as { type: string }).type);
    expect(actionTypes).toContain("navigate-state-machine-state-transitioned");
    const complete = ofType(last, "interaction-complete")[0]!;
    expect(complete.conversation_completed).toBe(true);

    const finished = await call(`${base}/conversation/?is_finished=true&id=${conversationId}`, token);
    expect(finished.status).toBe(200);
    expectResponseMatchesSpec("get-conversations", 200, finished.body);
    expect(
      (finished.body as { conversations: { is_finished: boolean }[] }).conversations[0]?.is_finished,
    ).toBe(true);

    const messages = await call(`${base}/conversation/${conversationId}/messages/?limit=3`, token);
    expectResponseMatchesSpec("get-conversation-messages", 200, messages.body);
    const page = messages.body as {
      messages: { message_type: string }[];
      has_more: boolean;
      continuation_token: number;
    };
    expect(page.messages.map((m) => m.message_type)).toEqual([
      "agent-message",
      "user-message",
      "agent-message",
    ]);
    expect(page.has_more).toBe(true);
    const rest = await call<{ messages: unknown[]; has_more: boolean }>(
      `${base}/conversation/${conversationId}/messages/?limit=10&continuation_token=${page.continuation_token}`,
      token,
    );
    expect(rest.body.messages).toHaveLength(4);
    expect(rest.body.has_more).toBe(false);

    const interactionId = complete.interaction_id as string;
    const insights = await call(
      `${base}/conversation/${conversationId}/interaction/${interactionId}/insights`,
      token,
    );
    expectResponseMatchesSpec("get-interaction-insights", 200, insights.body);
    expect((insights.body as { current_state_name: string }).current_state_name).toBe("goodbye");

    const again = await interact(conversationId, "hello?");
    expect(again.status).toBe(409);
  });

  it("answers 400 for a second unfinished conversation and 409 while an interaction runs", async () => {
    const first = await create();
    const conversationId = first.events[0]!.conversation_id as string;
    // The spec's 400: "attempting to start a conversation when other unfinished conversations exist".
    expect((await create()).status).toBe(400);

    const running = interact(conversationId, "holdBeforeReply I have a cough");
    // The first interaction is inside the agent (so it holds the conversation) until released.
    await notStalled(agent.whenHeld(), "the held turn");
    const second = await interact(conversationId, "another message");
    expect(second.status).toBe(409);
    expect(second.events).toEqual([]);
    agent.release();
    const held = await running;
    expect(held.status).toBe(200);
    expect(ofType(held.events, "interaction-complete")).toHaveLength(1);
    // The refused interaction left nothing: the greeting and the first interaction's two messages.
    expect(await messageCount(conversationId)).toBe(3);

    const finish = await call(`${base}/conversation/${conversationId}/finish/`, token, { method: "POST" });
    expect(finish.status).toBe(204);
    expect(
      (await call(`${base}/conversation/${conversationId}/finish/`, token, { method: "POST" })).status,
    ).toBe(409);
  });

  it("rolls back an interaction that fails mid-stream and reports it in-band", async () => {
    const created = await create();
    const conversationId = created.events[0]!.conversation_id as string;
    const before = await messageCount(conversationId);
    const failed = await interact(conversationId, "failAfterFirstPiece my back hurts");
    expect(failed.status).toBe(200);
    expectEventsMatchSpec(failed.events);
    const error = failed.events.at(-1)!;
    expect(error).toMatchObject({ type: "error", http_error_code: 500 });
    expect(ofType(failed.events, "interaction-complete")).toHaveLength(0);
    expect(await messageCount(conversationId)).toBe(before);

    // The conversation goes on from where it was: the failed turn left no state behind.
    const retry = await interact(conversationId, "my back hurts");
    expect(ofType(retry.events, "interaction-complete")).toHaveLength(1);
    expect(await messageCount(conversationId)).toBe(before + 2);
    await call(`${base}/conversation/${conversationId}/finish/`, token, { method: "POST" });
  });

  it("keeps nothing of an interaction whose client disconnects mid-stream", async () => {
    const created = await create();
    const conversationId = created.events[0]!.conversation_id as string;
    const before = await messageCount(conversationId);
    const controller = new AbortController();
    const response = await fetch(
      `${base}/conversation/${conversationId}/interact?request_format=text&response_format=text`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: textMessage("holdBeforeReply I sprained my ankle"),
        signal: controller.signal,
      },
    );
    expect(response.status).toBe(200);
    await notStalled(agent.whenHeld(), "the held turn");
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const ending = agent.nextTurnEnding();
    controller.abort();
    // The disconnect reaches the agent: its held turn ends with the abort, never completed.
    const ended = await notStalled(ending, "the end of the abandoned turn");
    expect(ended.completed).toBe(false);
    expect(ended.completed === false && (ended.error as Error).name).toBe("AbortError");
    expect(await messageCount(conversationId)).toBe(before);
    // The conversation is free again, and the next turn adds exactly its own two messages.
    const next = await interact(conversationId, "I sprained my ankle");
    expect(next.status).toBe(200);
    expect(ofType(next.events, "interaction-complete")).toHaveLength(1);
    expect(await messageCount(conversationId)).toBe(before + 2);
    await call(`${base}/conversation/${conversationId}/finish/`, token, { method: "POST" });
  });

  /** Invites an ordinary user (DefaultUserRole) and signs in as them. */
  const ordinaryUser = async (firstName: string) => {
    const invited = await call<{ user_id: string }>(`${base}/user/`, token, {
      method: "POST",
      json: {
        first_name: firstName,
        last_name: "Doe",
        email: `${firstName.toLowerCase()}-${Date.now()}@example.com`,
        role_name: "DefaultUserRole",
      },
    });
    expect(invited.status).toBe(201);
    return t.token(invited.body.user_id);
  };

  it("shows agent actions only with the insights permission and as the type filter allows", async () => {
    const userToken = await ordinaryUser("Pat");
    const plain = await create(userToken);
    expect(plain.status).toBe(201);
    expect(ofType(plain.events, "current-agent-action")).toHaveLength(0);
    const conversationId = plain.events[0]!.conversation_id as string;
    expect((await call(`${base}/conversation/${conversationId}/messages/`, token)).status).toBe(200);

    const filtered = await create(
      token,
      `response_format=text&current_agent_action_type=${encodeURIComponent("^navigate-state-machine-state-transitioned$")}`,
    );
    const types = new Set(
      ofType(filtered.events, "current-agent-action").map((e) => (e.action as { type: string }).type),
    );
    expect([...types]).toEqual(["navigate-state-machine-state-transitioned"]);
    const id = filtered.events[0]!.conversation_id as string;
    const none = await interact(id, "I need a flu shot", token, "&current_agent_action_type=%5E%24");
    expect(ofType(none.events, "current-agent-action")).toHaveLength(0);
    await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  });

  it("hides an ordinary user's conversation from another ordinary user (404) but not from its owner", async () => {
    const ownerToken = await ordinaryUser("Owen");
    const otherToken = await ordinaryUser("Olga");
    const created = await create(ownerToken);
    expect(created.status).toBe(201);
    const id = created.events[0]!.conversation_id as string;
    const messagesUrl = `${base}/conversation/${id}/messages/`;

    const own = await call<{ messages: unknown[] }>(messagesUrl, ownerToken);
    expect(own.status).toBe(200);
    expect(own.body.messages).toHaveLength(1);
    // The other user holds Conversation:GetMessage and InteractWithConversation: only ownership refuses.
    const read = await call<{ detail?: unknown }>(messagesUrl, otherToken);
    expect(read.status).toBe(404);
    expect(JSON.stringify(read.body)).not.toContain("Hello");
    expect((await interact(id, "I have a headache", otherToken)).status).toBe(404);
    expect((await call(`${base}/conversation/${id}/finish/`, otherToken, { method: "POST" })).status).toBe(
      404,
    );
    // An id that exists looks the same as one that does not.
    expect((await call(`${base}/conversation/${"d".repeat(24)}/messages/`, otherToken)).status).toBe(404);

    // Nothing the other user tried touched the conversation: it goes on for its owner.
    expect(await messageCount(id)).toBe(1);
    const turn = await interact(id, "I have a headache", ownerToken);
    expect(turn.status).toBe(200);
    expect(ofType(turn.events, "interaction-complete")).toHaveLength(1);
    expect((await call(`${base}/conversation/${id}/finish/`, ownerToken, { method: "POST" })).status).toBe(
      204,
    );
  });

  it("rejects bad requests with the documented status codes", async () => {
    expect((await create("not-a-token")).status).toBe(401);
    expect(
      (
        await callStream(`${t.baseUrl}/v1/no-such-org/conversation/?response_format=text`, token, {
          json: { service_id: t.serviceId },
        })
      ).status,
    ).toBe(404);
    expect((await create(token, "response_format=text&current_agent_action_type=%5B")).status).toBe(422);
    expect((await create(token, "response_format=sideways")).status).toBe(422);
    expect(
      (await callStream(`${base}/conversation/?response_format=text`, token, { json: { service_id: "zz" } }))
        .status,
    ).toBe(422);
    expect(
      (
        await callStream(`${base}/conversation/?response_format=text`, token, {
          json: { service_id: "a".repeat(24) },
        })
      ).status,
    ).toBe(404);
    expect((await interact("b".repeat(24), "hi")).status).toBe(404);
    const created = await create();
    const id = created.events[0]!.conversation_id as string;
    const empty = await interact(id, "   ");
    expect(empty.status).toBe(400);
    const future = new FormData();
    future.set("initial_message_type", "external-event");
    future.set("recorded_message", "appointment reminder sent");
    future.set("external_event_message_content", "reminder");
    future.set("external_event_message_timestamp", new Date(Date.now() + 3_600_000).toISOString());
    expect(
      (
        await callStream(
          `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
          token,
          { form: future },
        )
      ).status,
    ).toBe(400);
    expect(await messageCount(id)).toBe(1);
    await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  });

  it("serves recommended responses, starters, tags and message sources", async () => {
    const created = await create();
    const id = created.events[0]!.conversation_id as string;
    const turn = await interact(id, "I have a rash on my arm");
    const interactionId = ofType(turn.events, "interaction-complete")[0]!.interaction_id as string;
    const recommended = await call(
      `${base}/conversation/${id}/interaction/${interactionId}/recommend_responses`,
      token,
      {
        method: "POST",
        json: { context: "offer" },
      },
    );
    expect(recommended.status).toBe(200);
    expectResponseMatchesSpec("recommend-responses-for-interaction", 200, recommended.body);

    const starters = await call(`${base}/conversation/conversation_starter`, token, {
      method: "POST",
      json: {
        service_id: t.serviceId,
        facets: ["booking"],
        min_count: 1,
        max_count: 2,
        generation_instructions: "short",
      },
    });
    expectResponseMatchesSpec("generate-conversation-starter", 200, starters.body);
    expect((starters.body as { prompts: unknown[] }).prompts.length).toBeGreaterThanOrEqual(1);

    const tagged = await call(`${base}/conversation/${id}/tags/`, token, {
      method: "POST",
      json: { updates: { topic: "rash" } },
    });
    expect(tagged.status).toBe(204);
    const listed = await call<{ conversations: { tags: Record<string, string> }[] }>(
      `${base}/conversation/?id=${id}`,
      token,
    );
    expect(listed.body.conversations[0]?.tags).toEqual({ topic: "rash" });

    const messageId = turn.events[0]!.message_id as string;
    expect((await call(`${base}/conversation/${id}/messages/${messageId}/source`, token)).status).toBe(400);
    await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  });
});

describe("limits and maintenance", () => {
  it("answers 429 past the interactions per minute and 503 in maintenance mode", async () => {
    const limited = await startTestServer({ store: "sqlite", env: { PARLEY_INTERACTIONS_PER_MINUTE: "2" } });
    try {
      const token = await limited.token();
      const base = `${limited.baseUrl}/v1/${limited.orgId}`;
      const created = await callStream(`${base}/conversation/?response_format=text`, token, {
        json: { service_id: limited.serviceId },
      });
      const id = created.events[0]!.conversation_id as string;
      const url = `${base}/conversation/${id}/interact?request_format=text&response_format=text`;
      // Creating the conversation counts against its own limit (the spec's 5), not the interactions'.
      expect((await callStream(url, token, { form: textMessage("I have a cold") })).status).toBe(200);
      expect((await callStream(url, token, { form: textMessage("yes") })).status).toBe(200);
      expect((await callStream(url, token, { form: textMessage("thanks") })).status).toBe(429);
    } finally {
      await limited.close();
    }
    const maintenance = await startTestServer({ store: "sqlite", env: { PARLEY_MAINTENANCE_MODE: "true" } });
    try {
      const token = await maintenance.token();
      const response = await callStream(
        `${maintenance.baseUrl}/v1/${maintenance.orgId}/conversation/?response_format=text`,
        token,
        {
          json: { service_id: maintenance.serviceId },
        },
      );
      expect(response.status).toBe(503);
    } finally {
      await maintenance.close();
    }
  });
});
