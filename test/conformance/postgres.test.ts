/**
 * The parts of the conformance suite where the store matters, on PostgreSQL: a preference erased with
 * `null` and kept with `_NotSet`, tags merged and limited after the change, version lists filtered, and
 * nothing kept of a refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { type ApiCall, expectAnswer, expectInvalid } from "./api-call.js";

describe("on PostgreSQL", () => {
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    t = await startTestServer({ store: "postgres" });
    token = await t.token();
  });
  afterAll(async () => t.close());

  const org = () => ({ organization: t.orgId });

  it("keeps a preference sent as _NotSet, erases one sent as null, and stores nothing of a refused update", async () => {
    const update = (json: unknown): ApiCall => ({
      operationId: "update-user-info",
      method: "POST",
      path: "/v1/{organization}/user/{requested_user_id}",
      params: { ...org(), requested_user_id: t.userId },
      token,
      json,
    });
    const preferences = async () => {
      const answer = await expectAnswer(
        t.baseUrl,
        {
          operationId: "get-users",
          method: "GET",
          path: "/v1/{organization}/user/",
          params: org(),
          query: { user_id: [t.userId] },
          token,
        },
        200,
      );
      const user = (answer.body as { users: { last_name: string; preferences: Record<string, unknown> }[] })
        .users[0]!;
      return { last_name: user.last_name, ...user.preferences };
    };
    await expectAnswer(t.baseUrl, update({ last_name: "Moss", preferred_language: {}, timezone: null }), 204);
    expect(await preferences()).toMatchObject({
      last_name: "Moss",
      preferred_language: "eng",
      timezone: null,
    });
    await expectInvalid(t.baseUrl, update({ last_name: "Stone", timezone: "Nowhere/City" }), "body.timezone");
    expect(await preferences()).toMatchObject({ last_name: "Moss", timezone: null });
    await expectAnswer(t.baseUrl, update({ timezone: "UTC" }), 204);
  });

  it("merges tag updates and refuses more than 20 tags after the change, keeping the earlier ones", async () => {
    const created = await expectAnswer(
      t.baseUrl,
      {
        operationId: "create-conversation",
        method: "POST",
        path: "/v1/{organization}/conversation/",
        params: org(),
        query: { response_format: "text" },
        token,
        json: { service_id: t.serviceId, tags: { source: "pg" } },
      },
      201,
    );
    const conversationId = created.events[0]!.conversation_id as string;
    const tags = (json: unknown): ApiCall => ({
      operationId: "modify-tags-of-conversation",
      method: "POST",
      path: "/v1/{organization}/conversation/{conversation_id}/tags/",
      params: { ...org(), conversation_id: conversationId },
      token,
      json,
    });
    const many = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`k${i}`, "v"]));
    await expectAnswer(t.baseUrl, tags({ updates: many }), 204);
    await expectAnswer(t.baseUrl, tags({ updates: { extra: "x" } }), 400);
    await expectAnswer(t.baseUrl, tags({ updates: { extra: "x" }, deletes: ["source"] }), 204);
    const list = await expectAnswer(
      t.baseUrl,
      {
        operationId: "get-conversations",
        method: "GET",
        path: "/v1/{organization}/conversation/",
        params: org(),
        query: { id: [conversationId] },
        token,
      },
      200,
    );
    const stored = (list.body as { conversations: { tags: Record<string, unknown> }[] }).conversations[0]!
      .tags;
    expect(Object.keys(stored)).toHaveLength(20);
    expect(stored).not.toHaveProperty("source");
    expect(stored).toHaveProperty("extra", "x");
  });
});
