import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaBrain } from "../../src/engines/agent/llm/llama-brain.js";
import { LlmAgentEngine } from "../../src/engines/agent/llm/llm-engine.js";
import { CLOCK_TOOL_ID, clockTool } from "../../src/engines/agent/tools/clock-tool.js";
import { ToolRegistry } from "../../src/engines/agent/tools/registry.js";
import type { ToolDefinition } from "../../src/engines/agent/tools/types.js";
import type { AgentEvent, AgentTurnInput } from "../../src/engines/agent/types.js";
import { callStream } from "../helpers/http-client.js";
import { startTestServer } from "../helpers/server.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

/**
 * node-llama-cpp for real, on a tiny GGUF model with random weights that the test writes: it loads,
 * streams, stops when aborted, and its structured answers always match their schema.
 */
let dir: string;
let modelPath: string;
let brain: LlamaBrain;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-llama-"));
  modelPath = path.join(dir, "tiny.gguf");
  const bytes = writeTinyGguf(modelPath);
  expect(bytes).toBeLessThan(600_000);
  brain = new LlamaBrain({ modelPath, contextSize: 4096, threads: 1, gpu: false });
});
afterAll(async () => {
  await brain.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const never = new AbortController().signal;

describe("node-llama-cpp on a tiny random GGUF", () => {
  it("streams a reply in several chunks", async () => {
    const chunks: string[] = [];
    for await (const text of brain.streamText(
      [
        { role: "system", content: "You are Ada." },
        { role: "user", content: "Hello there" },
      ],
      { signal: never, maxTokens: 16 },
    ))
      chunks.push(text);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it("answers structured calls only within their schema", async () => {
    const options = ["The user agrees", "The user asks for another day", "none of these"];
    for (let i = 0; i < 4; i += 1) {
      const answer = (await brain.structured(
        [{ role: "user", content: `User: answer number ${i}` }],
        {
          name: "choose_exit",
          description: "choose",
          schema: {
            type: "object",
            properties: { exit: { type: "string", enum: options } },
            required: ["exit"],
            additionalProperties: false,
          },
        },
        { signal: never },
      )) as { exit: string };
      expect(options).toContain(answer.exit);
    }
    const flag = await brain.structured(
      [{ role: "user", content: "call?" }],
      {
        name: "decide",
        description: "decide",
        schema: {
          type: "object",
          properties: { call: { type: "boolean" }, hour: { type: "integer", enum: [9, 10, 11] } },
          required: ["call", "hour"],
          additionalProperties: false,
        },
      },
      { signal: never },
    );
    expect(flag).toEqual({ call: expect.any(Boolean) as unknown, hour: expect.any(Number) as unknown });
    expect([9, 10, 11]).toContain((flag as { hour: number }).hour);
  });

  it("stops when aborted mid-stream with the signal's reason, and serves the next call", async () => {
    const controller = new AbortController();
    const reason = new DOMException("barge-in", "AbortError");
    let chunks = 0;
    await expect(
      (async () => {
        for await (const _ of brain.streamText([{ role: "user", content: "Tell me a story" }], {
          signal: controller.signal,
          maxTokens: 200,
        })) {
          chunks += 1;
          if (chunks === 2) controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(chunks).toBeLessThan(200);
    const after: string[] = [];
    for await (const text of brain.streamText([{ role: "user", content: "Hi" }], {
      signal: never,
      maxTokens: 4,
    }))
      after.push(text);
    expect(after.length).toBeGreaterThan(0);
  });

  it("walks a tool-call state: parameters generated under the tool's schema, the tool called", async () => {
    // The clock with a closed set of zones, so the model's parameters are always a zone the clock knows.
    const clock = clockTool();
    const zones: ToolDefinition = {
      ...clock,
      inputSchema: {
        type: "object",
        properties: { timezone: { type: "string", enum: ["UTC", "Europe/Paris"] } },
        required: ["timezone"],
      },
    };
    const engine = new LlmAgentEngine({ brain, tools: new ToolRegistry([zones]), maxTokens: 12 });
    const input: AgentTurnInput = {
      conversationId: "c".repeat(24),
      persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
      graph: {
        id: "b".repeat(24),
        version: 1,
        body: {
          new_user_initial_state: "look_up",
          returning_user_initial_state: "look_up",
          terminal_state: "end",
          states: [
            {
              type: "tool-call",
              name: "look_up",
              next_state: "tell",
              designated_tool: {
                tool_id: CLOCK_TOOL_ID,
                version_constraint: ">=1",
                result_persistence: "ephemeral",
              },
              designated_tool_call_objective: "Find the time.",
            },
            {
              type: "action",
              name: "tell",
              objective: "Tell the time.",
              actions: ["Tell the time."],
              exit_conditions: [],
            },
            { type: "action", name: "end", actions: ["Bye."] },
          ],
        },
      },
      state: null,
      currentStateName: null,
      history: [],
      userMessage: null,
      isReturningUser: false,
      user: { firstName: "Sam", lastName: "Lee", timezone: "UTC", preferredLanguage: "eng" },
      now: new Date(),
    };
    const events: AgentEvent[] = [];
    for await (const event of engine.runTurn(input, { signal: never })) events.push(event);
    const actions = events.flatMap((e) => (e.kind === "action" ? [e.action] : []));
    const params = actions.find((a) => a.type === "designated-tool-call-params-generated")!;
    expect(["UTC", "Europe/Paris"]).toContain((params.tool_call_params as { timezone: string }).timezone);
    const ended = actions.find((a) => a.type === "tool-call-ended")!;
    expect(JSON.parse(ended.result as string)).toHaveProperty("iso");
    expect(events.at(-1)?.kind).toBe("done");
  });
});

describe("the server with PARLEY_AGENT_ENGINE=llama", () => {
  it("answers a conversation with the GGUF model, streamed", async () => {
    const t = await startTestServer({
      store: "sqlite",
      env: {
        PARLEY_AGENT_ENGINE: "llama",
        PARLEY_LLAMA_MODEL_PATH: modelPath,
        PARLEY_LLAMA_THREADS: "1",
        PARLEY_LLM_MAX_TOKENS: "16",
      },
    });
    try {
      const token = await t.token();
      const created = await callStream(
        `${t.baseUrl}/v1/${t.orgId}/conversation/?response_format=text`,
        token,
        {
          json: { service_id: t.serviceId },
        },
      );
      expect(created.status).toBe(201);
      expect(created.events.filter((e) => e.type === "new-message").length).toBeGreaterThan(0);
      expect(created.events.at(-1)?.type).toBe("interaction-complete");
    } finally {
      await t.close();
    }
  });

  it("a missing GGUF file stops the start with an error naming PARLEY_LLAMA_MODEL_PATH", async () => {
    await expect(
      startTestServer({
        store: "sqlite",
        env: { PARLEY_AGENT_ENGINE: "llama", PARLEY_LLAMA_MODEL_PATH: path.join(dir, "missing.gguf") },
      }),
    ).rejects.toThrow(/PARLEY_LLAMA_MODEL_PATH/);
  });
});
