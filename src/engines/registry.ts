import type { Config } from "../config/config.js";
import { clockTool } from "./agent/tools/clock-tool.js";
import { loadToolsFile, ToolRegistry } from "./agent/tools/registry.js";
import type { AgentEngine } from "./agent/types.js";
import { warmUpMp3Encoder } from "./codec/encoders.js";
import type { SttEngine } from "./stt/types.js";
import type { TtsEngine } from "./tts/types.js";
import type { VadEngine } from "./vad/types.js";

/** One engine of each kind, chosen by configuration. */
interface EngineKinds {
  agent: AgentEngine;
  stt: SttEngine;
  tts: TtsEngine;
  vad: VadEngine;
}

/** The configured engines, and the tools the agent may call (the server registers more at start). */
export interface Engines extends EngineKinds {
  tools: ToolRegistry;
}

type Factory<T> = (config: Config, warn: (message: string) => void, tools: ToolRegistry) => Promise<T>;

/** Engine name → lazy factory (dynamic import: nothing heavy loads unless configured). */
const REGISTRY: { [K in keyof EngineKinds]: Record<string, Factory<EngineKinds[K]>> } = {
  agent: {
    rules: async (_config, _warn, tools) =>
      (await import("./agent/rules/index.js")).createRulesAgentEngine({ tools }),
    openai: async (config, _warn, tools) =>
      (await import("./agent/llm/index.js")).createOpenAiAgentEngine(config, tools),
    llama: async (config, _warn, tools) =>
      (await import("./agent/llm/index.js")).createLlamaAgentEngine(config, tools),
  },
  stt: {
    pocketsphinx: async (config) =>
      new (await import("./stt/pocketsphinx/engine.js")).PocketSphinxEngine({
        poolSize: config.engines.sttWorkers,
        sessionsPerWorker: config.engines.sttSessionsPerWorker,
      }),
    openai: async (config) => (await import("./stt/openai/index.js")).createOpenAiSttEngine(config),
  },
  tts: {
    flite: async (config, warn) =>
      new (await import("./tts/flite/engine.js")).FliteEngine({
        defaultVoiceId: config.engines.ttsDefaultVoice,
        warn,
      }),
    fake: async () => new (await import("./tts/fake/engine.js")).FakeTtsEngine(),
    openai: async (config, warn) =>
      (await import("./tts/openai/index.js")).createOpenAiTtsEngine(config, warn),
  },
  vad: {
    webrtc: async () => new (await import("./vad/webrtc/engine.js")).WebRtcVadEngine(),
    silero: async () => new (await import("./vad/silero/engine.js")).SileroVadEngine(),
    energy: async () => new (await import("./vad/fake/engine.js")).EnergyVadEngine(),
  },
};

async function create<K extends keyof EngineKinds>(
  kind: K,
  name: string,
  config: Config,
  warn: (m: string) => void,
  tools: ToolRegistry,
): Promise<EngineKinds[K]> {
  const factory = REGISTRY[kind][name];
  if (factory === undefined) {
    const variable = {
      agent: "PARLEY_AGENT_ENGINE",
      stt: "PARLEY_STT_ENGINE",
      tts: "PARLEY_TTS_ENGINE",
      vad: "PARLEY_VAD_ENGINE",
    }[kind];
    throw new Error(
      `${variable}="${name}" is not available; known: ${Object.keys(REGISTRY[kind]).join(", ")}`,
    );
  }
  return factory(config, warn, tools);
}

/** The configured agent, with the rules agent behind it when `PARLEY_AGENT_FALLBACK` is on. */
async function createAgent(
  config: Config,
  warn: (m: string) => void,
  tools: ToolRegistry,
): Promise<AgentEngine> {
  const agent = await create("agent", config.engines.agent, config, warn, tools);
  if (!config.engines.agentFallback || config.engines.agent === "rules") return agent;
  const rules = await create("agent", "rules", config, warn, tools);
  return new (await import("./agent/fallback-agent.js")).FallbackAgentEngine(agent, rules, warn);
}

/** The configured recognizer, with PocketSphinx behind it when `PARLEY_STT_FALLBACK` is on. */
async function createStt(config: Config, warn: (m: string) => void, tools: ToolRegistry): Promise<SttEngine> {
  const stt = await create("stt", config.engines.stt, config, warn, tools);
  if (!config.engines.sttFallback || config.engines.stt === "pocketsphinx") return stt;
  const offline = await create("stt", "pocketsphinx", config, warn, tools);
  return new (await import("./fallback-speech.js")).FallbackSttEngine(stt, offline, warn);
}

/** The configured synthesizer, with Flite behind it when `PARLEY_TTS_FALLBACK` is on. */
async function createTts(config: Config, warn: (m: string) => void, tools: ToolRegistry): Promise<TtsEngine> {
  const tts = await create("tts", config.engines.tts, config, warn, tools);
  if (!config.engines.ttsFallback || config.engines.tts === "flite") return tts;
  const offline = await create("tts", "flite", config, warn, tools);
  return new (await import("./fallback-speech.js")).FallbackTtsEngine(tts, offline, warn);
}

/** Builds the configured engines; `overrides` replace any of them (tests). */
export async function createEngines(
  config: Config,
  warn: (message: string) => void,
  overrides: Partial<Engines> = {},
): Promise<Engines> {
  const tools =
    overrides.tools ??
    new ToolRegistry([
      clockTool(),
      ...(config.engines.toolsFile === undefined
        ? []
        : loadToolsFile(config.engines.toolsFile, config.engines.toolTimeoutMs)),
    ]);
  return {
    tools,
    agent: overrides.agent ?? (await createAgent(config, warn, tools)),
    stt: overrides.stt ?? (await createStt(config, warn, tools)),
    tts: overrides.tts ?? (await createTts(config, warn, tools)),
    vad: overrides.vad ?? (await create("vad", config.engines.vad, config, warn, tools)),
  };
}

/** Loads models, starts workers and readies the MP3 encoder, so the first request is not slow. */
export async function warmUpEngines(engines: Engines): Promise<void> {
  await Promise.all([
    engines.agent.warmUp?.(),
    engines.stt.warmUp?.(),
    engines.tts.warmUp?.(),
    warmUpMp3Encoder(),
  ]);
}

export async function closeEngines(engines: Engines): Promise<void> {
  await Promise.all([engines.agent.close?.(), engines.stt.close?.(), engines.tts.close?.()]);
}
