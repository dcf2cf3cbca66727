import fs from "node:fs";
import type { Config } from "../../../config/config.js";
import type { ToolRegistry } from "../tools/registry.js";
import { LlamaBrain } from "./llama-brain.js";
import { LlmAgentEngine } from "./llm-engine.js";
import { OpenAiBrain } from "./openai-brain.js";

/** The `openai` agent: an OpenAI-compatible chat completions server (`OPENAI_BASE_URL`, `OPENAI_MODEL`). */
export function createOpenAiAgentEngine(config: Config, tools: ToolRegistry): LlmAgentEngine {
  const engines = config.engines;
  if (engines.openaiBaseUrl === undefined) {
    throw new Error(
      'PARLEY_AGENT_ENGINE="openai" needs OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama)',
    );
  }
  if (!/^https?:\/\//.test(engines.openaiBaseUrl)) {
    throw new Error(`OPENAI_BASE_URL="${engines.openaiBaseUrl}" must start with http:// or https://`);
  }
  const brain = new OpenAiBrain({
    endpoint: {
      baseUrl: engines.openaiBaseUrl,
      apiKey: engines.openaiApiKey,
      timeoutMs: engines.llmTimeoutMs,
      maxRetries: engines.llmMaxRetries,
      setting: "OPENAI_BASE_URL",
    },
    model: engines.openaiModel,
    structuredOutput: engines.llmStructuredOutput,
  });
  return new LlmAgentEngine({ brain, tools, maxTokens: engines.llmMaxTokens });
}

/** The `llama` agent: a GGUF file run in process by node-llama-cpp (`PARLEY_LLAMA_MODEL_PATH`). */
export function createLlamaAgentEngine(config: Config, tools: ToolRegistry): LlmAgentEngine {
  const engines = config.engines;
  if (engines.llamaModelPath === undefined) {
    throw new Error('PARLEY_AGENT_ENGINE="llama" needs PARLEY_LLAMA_MODEL_PATH (the path of a GGUF file)');
  }
  if (!fs.existsSync(engines.llamaModelPath)) {
    throw new Error(`PARLEY_LLAMA_MODEL_PATH="${engines.llamaModelPath}": no such file`);
  }
  const brain = new LlamaBrain({
    modelPath: engines.llamaModelPath,
    contextSize: engines.llamaContextSize,
    threads: engines.llamaThreads,
    gpu: engines.llamaGpu === "auto" ? "auto" : false,
  });
  return new LlmAgentEngine({ brain, tools, maxTokens: engines.llmMaxTokens });
}
