/**
 * The per-user rate limits each operation's 429 response documents, with the spec's numbers (a server
 * on its default settings), and how the settings change them.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { API_SCHEMAS } from "../../src/http/api-spec/api-schemas.generated.js";
import { OperationRateLimits } from "../../src/http/api-spec/operation-limits.js";
import type { Principal } from "../../src/domain/principal.js";
import { type ApiCall, expectAnswer } from "./api-call.js";
import { useConformanceServer } from "./conformance-server.js";

describe("the spec's limits on a server with default settings", () => {
  // Empty values select the defaults (the test helper loosens them otherwise).
  const api = useConformanceServer({
    store: "sqlite",
    env: {
      PARLEY_RATE_LIMITS: "",
      PARLEY_CONVERSATION_CREATES_PER_MINUTE: "",
      PARLEY_INTERACTIONS_PER_MINUTE: "",
    },
  });

  const createCall = (): ApiCall =>
    api.call("create-conversation", {
      query: { response_format: "text" },
      json: { service_id: api.t.serviceId },
    });

  it("creates at most 5 conversations a minute per user, apart from the interactions", async () => {
    for (let created = 0; created < 5; created += 1) {
      const answer = await expectAnswer(api.t.baseUrl, createCall(), 201);
      const conversationId = answer.events[0]!.conversation_id as string;
      // A farewell ends the conversation, so the next one may start.
      const bye = await expectAnswer(
        api.t.baseUrl,
        api.call("interact-with-conversation", {
          params: { conversation_id: conversationId },
          query: { request_format: "text", response_format: "text" },
          form: { initial_message_type: "user-message", recorded_message: "bye, that's all" },
        }),
        200,
      );
      expect(bye.events.at(-1)?.conversation_completed).toBe(true);
    }
    const limited = await expectAnswer(api.t.baseUrl, createCall(), 429);
    expect((limited.body as { detail: string }).detail).toContain("5 requests per minute");
  });

  it("limits each other operation per user with the spec's number (get-conversations: 15)", async () => {
    const list = (bearer: string): ApiCall =>
      api.call("get-conversations", {
        token: bearer,
      });
    for (let i = 0; i < 15; i += 1) await expectAnswer(api.t.baseUrl, list(api.token), 200);
    const limited = await expectAnswer(api.t.baseUrl, list(api.token), 429);
    expect((limited.body as { detail: string }).detail).toContain("15 requests per minute");
    // Another user has a count of their own.
    const invited = await expectAnswer(
      api.t.baseUrl,
      api.call("create-invited-user", {
        json: {
          first_name: "Jo",
          last_name: "Ray",
          email: "jo.ray@example.com",
          role_name: "DefaultUserRole",
        },
      }),
      201,
    );
    const otherToken = await api.t.token((invited.body as { user_id: string }).user_id);
    await expectAnswer(api.t.baseUrl, list(otherToken), 200);
  });
});

describe("rate limit settings", () => {
  const principal = (userId: string) =>
    ({ organization: { id: "org" }, user: { id: userId } }) as unknown as Principal;
  const hits = (limits: OperationRateLimits, operationId: string, count: number) => {
    let allowed = 0;
    for (let i = 0; i < count; i += 1) {
      try {
        limits.count(operationId, principal("u"));
        allowed += 1;
      } catch {
        // Past the limit.
      }
    }
    return allowed;
  };

  it("take each operation's number from the spec unless PARLEY_RATE_LIMITS replaces it or turns it off", () => {
    const spec = new OperationRateLimits(API_SCHEMAS.operations, loadConfig({}).rateLimits);
    expect(spec.limitOf("get-users")).toBe(60);
    expect(spec.limitOf("create-agent")).toBe(10);
    expect(hits(spec, "create-agent", 12)).toBe(10);
    const replaced = new OperationRateLimits(
      API_SCHEMAS.operations,
      loadConfig({ PARLEY_RATE_LIMITS: "create-agent=2, get-users=100" }).rateLimits,
    );
    expect(hits(replaced, "create-agent", 5)).toBe(2);
    expect(replaced.limitOf("get-users")).toBe(100);
    expect(replaced.limitOf("get-agents")).toBe(20);
    const off = new OperationRateLimits(
      API_SCHEMAS.operations,
      loadConfig({ PARLEY_RATE_LIMITS: "off" }).rateLimits,
    );
    expect(hits(off, "create-agent", 50)).toBe(50);
  });

  it("refuse a malformed PARLEY_RATE_LIMITS and keep the conversation limits separate", () => {
    expect(() => loadConfig({ PARLEY_RATE_LIMITS: "create-agent" })).toThrow(/PARLEY_RATE_LIMITS/);
    expect(() => loadConfig({ PARLEY_RATE_LIMITS: "create-agent=0" })).toThrow(/PARLEY_RATE_LIMITS/);
    const config = loadConfig({});
    expect(config.conversationCreatesPerMinute).toBe(5);
    expect(config.interactionsPerMinute).toBe(15);
  });
});
