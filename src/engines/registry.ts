import type { Config } from "../config/config.js";
import type { AgentEngine } from "./agent/types.js";
import type { SttEngine } from "./stt/types.js";
import type { TtsEngine } from "./tts/types.js";
import type { VadEngine } from "./vad/types.js";

/** One engine of each kind, chosen by configuration. */
export interface Engines {
  agent: AgentEngine;
  stt: SttEngine;
  tts: TtsEngine;
  vad: VadEngine;
}

type Factory<T> = (config: Config, warn: (message: string) => void) => Promise<T>;

/** Engine name → lazy factory (dynamic import: nothing heavy loads unless configured). */
const REGISTRY: { [K in keyof Engines]: Record<string, Factory<Engines[K]>> } = {
  agent: {
    rules: async () => (await import("./agent/rules/index.js")).createRulesAgentEngine(),
  },
  stt: {
    pocketsphinx: async () => new (await import("./stt/pocketsphinx/engine.js")).PocketSphinxEngine(),
  },
  tts: {
    flite: async (config, warn) =>
      new (await import("./tts/flite/engine.js")).FliteEngine({
        defaultVoiceId: config.engines.ttsDefaultVoice,
        warn,
      }),
    fake: async () => new (await import("./tts/fake/engine.js")).FakeTtsEngine(),
  },
  vad: {
    webrtc: async () => new (await import("./vad/webrtc/engine.js")).WebRtcVadEngine(),
    silero: async () => new (await import("./vad/silero/engine.js")).SileroVadEngine(),
    energy: async () => new (await import("./vad/fake/engine.js")).EnergyVadEngine(),
  },
};

async function create<K extends keyof Engines>(
  kind: K,
  name: string,
  config: Config,
  warn: (m: string) => void,
): Promise<Engines[K]> {
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
  return factory(config, warn);
}

/** Builds the configured engines; `overrides` replace any of them (tests). */
export async function createEngines(
  config: Config,
  warn: (message: string) => void,
  overrides: Partial<Engines> = {},
): Promise<Engines> {
  return {
    agent: overrides.agent ?? (await create("agent", config.engines.agent, config, warn)),
    stt: overrides.stt ?? (await create("stt", config.engines.stt, config, warn)),
    tts: overrides.tts ?? (await create("tts", config.engines.tts, config, warn)),
    vad: overrides.vad ?? (await create("vad", config.engines.vad, config, warn)),
  };
}

/** Loads models and starts workers so the first request is not slow. */
export async function warmUpEngines(engines: Engines): Promise<void> {
  await Promise.all([engines.agent.warmUp?.(), engines.stt.warmUp?.(), engines.tts.warmUp?.()]);
}

export async function closeEngines(engines: Engines): Promise<void> {
  await Promise.all([engines.agent.close?.(), engines.stt.close?.(), engines.tts.close?.()]);
}
