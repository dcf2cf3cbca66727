import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import type { AgentEngine, AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";
import { call, callStream, textMessage } from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** The rules agent, except that a turn with no user message (a skip) fails before any output. */
function agentFailingOnSkip(): AgentEngine {
  const rules = createRulesAgentEngine();
  return {
    name: "failing-on-skip",
    capabilities: rules.capabilities,
    expectedUserReplies: (graph, state) => rules.expectedUserReplies(graph, state),
    async *runTurn(input: AgentTurnInput, options: { signal: AbortSignal }): AsyncIterable<AgentEvent> {
      if (input.userMessage === null && input.state !== null) throw new Error("the agent failed at once");
      yield* rules.runTurn(input, options);
    },
  };
}

describe("the stream's status waits for its first event", () => {
  let t: TestServer;
  let token: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestServer({
      store: "sqlite",
      agent: agentFailingOnSkip(),
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" },
    });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
  });
  afterAll(() => t.close());

  it("answers a conflict found before any output with its status, not a 200 with an in-band error", async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]!.conversation_id as string;
    expect(
      (
        await callStream(
          `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
          token,
          { form: textMessage("I have a sore throat") },
        )
      ).status,
    ).toBe(200);
    expect((await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" })).status).toBe(204);
    const again = await callStream(
      `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
      token,
      { form: textMessage("hello again") },
    );
    expect(again.status).toBe(409);
    expect(again.contentType).toContain("application/json");
    expect(again.events).toEqual([]);
  });

  it("answers an agent failure before any output with 500, and stores nothing", async () => {
    const created = await callStream(`${base}/conversation/?response_format=text`, token, {
      json: { service_id: t.serviceId },
    });
    const id = created.events[0]!.conversation_id as string;
    const before = (await call<{ messages: unknown[] }>(`${base}/conversation/${id}/messages/`, token)).body
      .messages.length;
    const skip = new FormData();
    skip.set("initial_message_type", "skip");
    skip.set("recorded_message", "");
    const failed = await callStream(
      `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
      token,
      { form: skip },
    );
    expect(failed.status, failed.raw).toBe(500);
    expect(failed.contentType).toContain("application/json");
    const after = (await call<{ messages: unknown[] }>(`${base}/conversation/${id}/messages/`, token)).body
      .messages.length;
    expect(after).toBe(before);
    await call(`${base}/conversation/${id}/finish/`, token, { method: "POST" });
  });

  it("serves Prometheus metrics fed by the turns' events", async () => {
    const response = await fetch(`${t.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/parley_turns_total\{transport="http",outcome="completed"\} [1-9]/);
    expect(text).toMatch(/parley_turns_total\{transport="http",outcome="failed"\} [1-9]/);
    expect(text).toMatch(/parley_agent_turn_seconds_count [1-9]/);
  });
});
