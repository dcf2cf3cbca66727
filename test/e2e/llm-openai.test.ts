import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import { createOpenAiAgentEngine } from "../../src/engines/agent/llm/index.js";
import { retryDelayMs, MAX_RETRY_AFTER_MS } from "../../src/engines/agent/llm/retry.js";
import { ToolRegistry } from "../../src/engines/agent/tools/registry.js";
import type { AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";
import { isAppError } from "../../src/lib/app-error.js";
import { callStream, type StreamEvent, textMessage } from "../helpers/http-client.js";
import {
  startOpenAiCompatibleServer,
  type OpenAiCompatibleServer,
} from "../helpers/openai-compatible-server.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectEventsMatchSpec } from "../helpers/spec-validator.js";

const graph = { id: "a".repeat(24), version: 1, body: demoGraphVersionBody };
const input = (text: string | null = null, state: AgentTurnInput["state"] = null): AgentTurnInput => ({
  conversationId: "c".repeat(24),
  persona: { name: "Ada", role: "Receptionist", background: "", behaviors: ["Be brief."], voiceConfig: null },
  graph,
  state,
  currentStateName: null,
  history: [],
  userMessage: text === null ? null : { kind: "user-message", text },
  isReturningUser: false,
  user: { firstName: "Sam", lastName: "Lee", timezone: "UTC", preferredLanguage: "eng" },
  now: new Date("2026-11-24T09:00:00Z"),
});

async function collect(iterable: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

describe("Retry-After and backoff", () => {
  it("honours Retry-After in seconds and as an HTTP date, and gives up on a long one", () => {
    expect(retryDelayMs(0, "2")).toBe(2000);
    const now = Date.parse("2026-11-24T09:00:00Z");
    expect(retryDelayMs(0, "Tue, 24 Nov 2026 09:00:03 GMT", now)).toBe(3000);
    expect(retryDelayMs(0, String(MAX_RETRY_AFTER_MS / 1000 + 1))).toBeUndefined();
    const backoff = retryDelayMs(3, null)!;
    expect(backoff).toBeGreaterThanOrEqual(1600);
    expect(backoff).toBeLessThanOrEqual(2400);
  });
});

describe("the openai-compatible agent against a local server", () => {
  let server: OpenAiCompatibleServer;
  beforeAll(async () => {
    server = await startOpenAiCompatibleServer();
  });
  afterAll(async () => server.close());
  afterEach(() => {
    server.mishaps.length = 0;
    server.chunkDelayMs = 0;
  });

  const engine = (env: Record<string, string> = {}) =>
    createOpenAiAgentEngine(
      loadConfig({
        OPENAI_BASE_URL: server.baseUrl,
        OPENAI_API_KEY: "sk-test",
        OPENAI_MODEL: "stand-in",
        ...env,
      }),
      new ToolRegistry(),
    );

  it("streams the reply chunk by chunk, sends the key, the persona and the state", async () => {
    const before = server.requests.length;
    const events = await collect(engine().runTurn(input(), { signal: new AbortController().signal }));
    const deltas = events.flatMap((e) => (e.kind === "text-delta" ? [e.text] : []));
    expect(deltas.length).toBe(server.reply.split(/(?<= )/).length);
    expect(deltas.join("")).toBe(server.reply);
    const request = server.requests[before]!;
    expect(request.headers.authorization).toBe("Bearer sk-test");
    expect(request.json).toMatchObject({ model: "stand-in", stream: true });
    const system = (request.json!.messages as { role: string; content: string }[])[0]!;
    expect(system.role).toBe("system");
    expect(system.content).toMatch(/You are Ada, Receptionist/);
    expect(system.content).toMatch(/Welcome a first-time caller/);
    expect(system.content).toMatch(/Do not give medical advice/);
  });

  it("chooses exits by a JSON-schema call whose enum lists the options, and reports what it chose", async () => {
    const agent = engine();
    const opening = (await collect(agent.runTurn(input(), { signal: new AbortController().signal }))).at(-1)!;
    if (opening.kind !== "done") throw new Error("no done");
    const before = server.requests.length;
    const events = await collect(
      agent.runTurn(input("I have had a bad cough", opening.nextState), {
        signal: new AbortController().signal,
      }),
    );
    const choice = server.requests[before]!.json!;
    const format = choice.response_format as {
      type: string;
      json_schema: { schema: { properties: { exit: { enum: string[] } } } };
    };
    expect(format.type).toBe("json_schema");
    expect(format.json_schema.schema.properties.exit.enum).toContain(
      "The user describes the reason for the visit, a symptom or a health concern",
    );
    expect(format.json_schema.schema.properties.exit.enum).toContain("none of these");
    const selected = events.find(
      (e) => e.kind === "action" && e.action.type === "navigate-state-machine-exit-condition-selected",
    );
    expect(selected).toMatchObject({
      action: { exit_condition: expect.stringMatching(/reason for the visit/) as unknown },
    });
  });

  it("uses a forced tool call instead when configured", async () => {
    const agent = engine({ PARLEY_LLM_STRUCTURED_OUTPUT: "tool_call" });
    const opening = (await collect(agent.runTurn(input(), { signal: new AbortController().signal }))).at(-1)!;
    if (opening.kind !== "done") throw new Error("no done");
    const before = server.requests.length;
    const events = await collect(
      agent.runTurn(input("bye, that's all", opening.nextState), { signal: new AbortController().signal }),
    );
    expect(server.requests[before]!.json).toMatchObject({
      tool_choice: { type: "function", function: { name: "choose_exit" } },
    });
    const done = events.at(-1)!;
    expect(done.kind === "done" && done.conversationCompleted).toBe(true);
  });

  it("retries 429 and 503 answers, then succeeds", async () => {
    const before = server.requests.length;
    server.mishaps.push({ kind: "status", status: 429, retryAfter: "0" }, { kind: "status", status: 503 });
    const events = await collect(engine().runTurn(input(), { signal: new AbortController().signal }));
    expect(events.at(-1)?.kind).toBe("done");
    expect(server.requests.length - before).toBe(3);
  });

  const failure = async (env: Record<string, string>) => {
    try {
      await collect(engine(env).runTurn(input(), { signal: new AbortController().signal }));
    } catch (error) {
      return error;
    }
    throw new Error("the turn did not fail");
  };

  it("fails with service_unavailable naming the setting when retries run out or the error is not retryable", async () => {
    const before = server.requests.length;
    server.mishaps.push({ kind: "status", status: 500 }, { kind: "status", status: 500 });
    const exhausted = await failure({ PARLEY_LLM_MAX_RETRIES: "1" });
    expect(isAppError(exhausted) && exhausted.code).toBe("service_unavailable");
    expect(String(exhausted)).toMatch(/HTTP 500.*OPENAI_BASE_URL/);
    expect(server.requests.length - before).toBe(2);

    server.mishaps.push({ kind: "status", status: 400 });
    const bad = await failure({});
    expect(String(bad)).toMatch(/HTTP 400/);
    expect(server.requests.length - before).toBe(3);
  });

  it("does not wait out a Retry-After longer than it would ever wait", async () => {
    server.mishaps.push({ kind: "status", status: 429, retryAfter: "3600" });
    expect(String(await failure({}))).toMatch(/HTTP 429/);
  });

  it("times out a server that does not answer, or stalls mid-stream, or errs mid-stream", async () => {
    server.mishaps.push({ kind: "slow-headers", delayMs: 3000 });
    expect(String(await failure({ PARLEY_LLM_TIMEOUT_MS: "200", PARLEY_LLM_MAX_RETRIES: "0" }))).toMatch(
      /did not answer within 200 ms/,
    );
    server.mishaps.push({ kind: "stall-mid-stream", afterChunks: 2 });
    expect(String(await failure({ PARLEY_LLM_TIMEOUT_MS: "200" }))).toMatch(/sent nothing for 200 ms/);
    server.mishaps.push({ kind: "error-mid-stream", afterChunks: 2 });
    expect(String(await failure({}))).toMatch(/the model crashed/);
  });

  it("rejects a structured answer outside the offered options", async () => {
    const agent = engine();
    const opening = (await collect(agent.runTurn(input(), { signal: new AbortController().signal }))).at(-1)!;
    if (opening.kind !== "done") throw new Error("no done");
    server.mishaps.push({ kind: "invalid-choice" });
    await expect(
      collect(
        agent.runTurn(input("I have a cough", opening.nextState), { signal: new AbortController().signal }),
      ),
    ).rejects.toThrow(/outside its schema/);
  });

  it("cancellation reaches the HTTP request: aborting mid-stream closes it", async () => {
    server.chunkDelayMs = 100;
    const controller = new AbortController();
    const reason = new DOMException("barge-in", "AbortError");
    const aborted = server.abortedRequests;
    await expect(
      (async () => {
        for await (const event of engine().runTurn(input(), { signal: controller.signal })) {
          if (event.kind === "text-delta") controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    await expect.poll(() => server.abortedRequests).toBe(aborted + 1);
  });
});

describe("a server whose agent is the openai-compatible engine", () => {
  let model: OpenAiCompatibleServer;
  beforeAll(async () => {
    model = await startOpenAiCompatibleServer();
  });
  afterAll(async () => model.close());

  const withServer = async (env: Record<string, string>, body: (t: TestServer) => Promise<void>) => {
    const t = await startTestServer({
      store: "sqlite",
      env: {
        PARLEY_AGENT_ENGINE: "openai",
        OPENAI_BASE_URL: model.baseUrl,
        PARLEY_INTERACTIONS_PER_MINUTE: "1000",
        ...env,
      },
    });
    try {
      await body(t);
    } finally {
      await t.close();
    }
  };

  const converse = async (t: TestServer, include = "") => {
    const token = await t.token();
    const base = `${t.baseUrl}/v1/${t.orgId}`;
    const created = await callStream(`${base}/conversation/?response_format=text${include}`, token, {
      json: { service_id: t.serviceId },
    });
    return { token, base, created };
  };

  it("streams the model's reply as the conversation's pieces", async () => {
    await withServer({}, async (t) => {
      const { created } = await converse(t);
      expectEventsMatchSpec(created.events);
      const pieces = created.events.filter((e) => e.type === "new-message");
      expect(pieces.length).toBeGreaterThan(3);
      expect(created.events.find((e) => e.type === "interaction-complete")?.full_message).toBe(model.reply);
    });
  });

  it("a model that fails mid-stream gives an in-band error event, not a hang", async () => {
    await withServer({ PARLEY_LLM_MAX_RETRIES: "0" }, async (t) => {
      model.mishaps.push({ kind: "error-mid-stream", afterChunks: 3 });
      const { created } = await converse(t);
      // The stream had started (201 and conversation-created), so the failure is in-band.
      expect(created.status).toBe(201);
      expect(created.events[0]?.type).toBe("conversation-created");
      const error = created.events.find((e) => e.type === "error");
      expect(error).toMatchObject({ http_error_code: 503 });
      expect(created.events.some((e) => e.type === "interaction-complete")).toBe(false);
    });
  });

  it("with PARLEY_AGENT_FALLBACK the rules agent answers a turn the model cannot, and the report says so", async () => {
    await withServer({ PARLEY_AGENT_FALLBACK: "true", PARLEY_LLM_MAX_RETRIES: "0" }, async (t) => {
      model.mishaps.push({ kind: "status", status: 503 });
      const { created } = await converse(t, "&include_latency_report=true");
      const complete = created.events.find((e) => e.type === "interaction-complete");
      expect(complete?.full_message).toMatch(/welcome to Maple Clinic/);
      const report = created.events.find((e) => e.type === "latency-report");
      expect(report?.agent_engine).toBe("rules");
    });
  });

  it("a slow model step (a decision) gets the state's authored filler before the answer", async () => {
    await withServer({}, async (t) => {
      const { token, base, created } = await converse(t);
      const id = created.events[0]!.conversation_id as string;
      const url = `${base}/conversation/${id}/interact?request_format=text&response_format=text`;
      const reason = await callStream(url, token, { form: textMessage("I have had a sore throat") });
      expect(reason.events.some((e) => e.type === "interaction-complete")).toBe(true);
      // The next turn: the action state's exit choice, then the decision state's, which is slow.
      model.mishaps.push({ kind: "none" }, { kind: "slow-headers", delayMs: 2500 });
      const answer = await callStream(url, token, { form: textMessage("yes that works for me") });
      const types = answer.events.map((e: StreamEvent) =>
        e.type === "current-agent-action" ? (e.action as { type: string }).type : e.type,
      );
      const decision = types.indexOf("navigate-state-machine-decision-state-decision-started");
      const filler = types.indexOf("action-too-long");
      expect(decision).toBeGreaterThanOrEqual(0);
      expect(filler).toBeGreaterThan(decision);
      expect(types.indexOf("new-message")).toBeGreaterThan(filler);
      const fillerEvent = answer.events.find(
        (e) => e.type === "current-agent-action" && (e.action as { type: string }).type === "action-too-long",
      )!;
      expect(demoGraphVersionBody.states.find((s) => s.name === "check_answer")?.audio_fillers).toContain(
        (fillerEvent.action as { filler: string }).filler,
      );
    });
  });

  it("a client that leaves mid-reply cancels the model's HTTP request", async () => {
    await withServer({}, async (t) => {
      model.chunkDelayMs = 200;
      try {
        const token = await t.token();
        const aborted = model.abortedRequests;
        // Its own connection (no pool), closed once the reply has begun.
        await new Promise<void>((resolve, reject) => {
          const request = http.request(
            `${t.baseUrl}/v1/${t.orgId}/conversation/?response_format=text`,
            {
              method: "POST",
              agent: false,
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            },
            (response) => {
              let text = "";
              response.on("data", (chunk: Buffer) => {
                text += chunk.toString("utf8");
                if (text.includes('"new-message"')) {
                  request.destroy();
                  resolve();
                }
              });
              response.on("end", () => reject(new Error("the stream ended before the client left")));
            },
          );
          request.on("error", () => undefined);
          request.end(JSON.stringify({ service_id: t.serviceId }));
        });
        await expect.poll(() => model.abortedRequests, { timeout: 10_000 }).toBe(aborted + 1);
      } finally {
        model.chunkDelayMs = 0;
      }
    });
  });

  it("a missing OPENAI_BASE_URL stops the start with an error naming it", async () => {
    await expect(
      startTestServer({ store: "sqlite", env: { PARLEY_AGENT_ENGINE: "openai" } }),
    ).rejects.toThrow(/OPENAI_BASE_URL/);
  });
});
