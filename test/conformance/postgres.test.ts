/**
 * The parts of the conformance suite where the store matters, on PostgreSQL: a preference erased with
 * `null` and kept with `_NotSet`, tags merged and limited after the change, version lists filtered, and
 * nothing kept of a refused request.
 */
import { describe, expect, it } from "vitest";
import { type ApiCall, expectAnswer, expectInvalid } from "./api-call.js";
import { useConformanceServer } from "./conformance-server.js";

describe("on PostgreSQL", () => {
  const api = useConformanceServer({ store: "postgres" });

  it("keeps a preference sent as _NotSet, erases one sent as null, and stores nothing of a refused update", async () => {
    const update = (json: unknown): ApiCall =>
      api.call("update-user-info", {
        params: { requested_user_id: api.t.userId },
        json,
      });
    await expectAnswer(
      api.t.baseUrl,
      update({ last_name: "Moss", preferred_language: {}, timezone: null }),
      204,
    );
    expect(await api.ownProfile()).toMatchObject({
      last_name: "Moss",
      preferred_language: "eng",
      timezone: null,
    });
    await expectInvalid(
      api.t.baseUrl,
      update({ last_name: "Stone", timezone: "Nowhere/City" }),
      "body.timezone",
    );
    expect(await api.ownProfile()).toMatchObject({ last_name: "Moss", timezone: null });
    await expectAnswer(api.t.baseUrl, update({ timezone: "UTC" }), 204);
  });

  it("merges tag updates and refuses more than 20 tags after the change, keeping the earlier ones", async () => {
    const created = await expectAnswer(
      api.t.baseUrl,
      api.call("create-conversation", {
        query: { response_format: "text" },
        json: { service_id: api.t.serviceId, tags: { source: "pg" } },
      }),
      201,
    );
    const conversationId = created.events[0]!.conversation_id as string;
    const tags = (json: unknown): ApiCall =>
      api.call("modify-tags-of-conversation", {
        params: { conversation_id: conversationId },
        json,
      });
    const many = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`k${i}`, "v"]));
    await expectAnswer(api.t.baseUrl, tags({ updates: many }), 204);
    await expectAnswer(api.t.baseUrl, tags({ updates: { extra: "x" } }), 400);
    await expectAnswer(api.t.baseUrl, tags({ updates: { extra: "x" }, deletes: ["source"] }), 204);
    const list = await expectAnswer(
      api.t.baseUrl,
      api.call("get-conversations", {
        query: { id: [conversationId] },
      }),
      200,
    );
    const stored = (list.body as { conversations: { tags: Record<string, unknown> }[] }).conversations[0]!
      .tags;
    expect(Object.keys(stored)).toHaveLength(20);
    expect(stored).not.toHaveProperty("source");
    expect(stored).toHaveProperty("extra", "x");
  });
});
