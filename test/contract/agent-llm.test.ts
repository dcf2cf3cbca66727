import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import { afterAll } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createOpenAiAgentEngine } from "../../src/engines/agent/llm/index.js";
import { LlamaBrain } from "../../src/engines/agent/llm/llama-brain.js";
import { LlmAgentEngine } from "../../src/engines/agent/llm/llm-engine.js";
import { ToolRegistry } from "../../src/engines/agent/tools/registry.js";
import { clockTool } from "../../src/engines/agent/tools/clock-tool.js";
import { startOpenAiCompatibleServer } from "../helpers/openai-compatible-server.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { runContract } from "./agent.js";

const server = await startOpenAiCompatibleServer();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-gguf-"));
const modelPath = path.join(dir, "tiny.gguf");
writeTinyGguf(modelPath);
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const tools = () => new ToolRegistry([clockTool()]);
const openai = (mode: string) => () =>
  createOpenAiAgentEngine(
    loadConfig({
      OPENAI_BASE_URL: server.baseUrl,
      OPENAI_MODEL: "stand-in",
      PARLEY_LLM_STRUCTURED_OUTPUT: mode,
    }),
    tools(),
  );

runContract("openai-compatible, JSON schema choices", openai("json_schema"));
runContract("openai-compatible, tool-call choices", openai("tool_call"));

// One model for the suite's tests (each engine over it is new); `close` disposes it, the next turn reloads.
const brain = new LlamaBrain({ modelPath, contextSize: 4096, threads: 1, gpu: false });
const random =
  "a model with random weights chooses arbitrarily (schema-constrained choices are tested in llm-llama.test.ts)";
runContract(
  "node-llama-cpp, tiny random GGUF",
  () => new LlmAgentEngine({ brain, tools: tools(), maxTokens: 24 }),
  {
    skip: [
      {
        test: "a reply moves along the exit condition it meets, with the selection and the transition",
        reason: random,
      },
      { test: "a farewell reaches the terminal state and completes the conversation", reason: random },
      {
        test: "a tool-call state calls its designated tool and reports it as the spec's events",
        reason:
          "random weights invent a time zone the clock rejects; the tool path is tested in llm-llama.test.ts",
      },
    ],
  },
);
