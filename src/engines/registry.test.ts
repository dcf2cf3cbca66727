import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/config.js";
import { closeEngines, createEngines } from "./registry.js";

describe("createEngines", () => {
  it("builds PocketSphinx with the configured number of workers", async () => {
    const config = loadConfig({
      PARLEY_STT_WORKERS: "1",
      PARLEY_TTS_ENGINE: "fake",
      PARLEY_VAD_ENGINE: "energy",
    });
    const engines = await createEngines(config, () => {});
    try {
      expect(engines.stt.name).toBe("pocketsphinx");
      expect(engines.stt.capabilities.parallelism).toBe(1);
    } finally {
      await closeEngines(engines);
    }
  });

  it("names the variable of an engine that does not exist", async () => {
    const config = loadConfig({ PARLEY_STT_ENGINE: "nonesuch" });
    await expect(createEngines(config, () => {})).rejects.toThrow(/PARLEY_STT_ENGINE="nonesuch"/);
  });
});
