import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("uses the documented defaults on an empty environment", () => {
    const config = loadConfig({});
    expect(config.host).toBe("127.0.0.1");
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.interactionsPerMinute).toBe(15);
    expect(config.engines.stt).toBe("pocketsphinx");
    expect(config.engines.sttWorkers).toBe(2);
    expect(config.engines.sttSessionsPerWorker).toBe(3);
  });

  it("reads the PocketSphinx worker and place counts, within their bounds", () => {
    const config = loadConfig({ PARLEY_STT_WORKERS: "4", PARLEY_STT_SESSIONS_PER_WORKER: "5" });
    expect(config.engines.sttWorkers).toBe(4);
    expect(config.engines.sttSessionsPerWorker).toBe(5);
    expect(() => loadConfig({ PARLEY_STT_WORKERS: "0" })).toThrow(/PARLEY_STT_WORKERS/);
    expect(() => loadConfig({ PARLEY_STT_SESSIONS_PER_WORKER: "two" })).toThrow(
      /PARLEY_STT_SESSIONS_PER_WORKER/,
    );
  });

  it("names the variable when a value is bad", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ PARLEY_MAINTENANCE_MODE: "maybe" })).toThrow(/PARLEY_MAINTENANCE_MODE/);
  });

  it("reads the filler settings: defaults, phrases, trigger, off", () => {
    expect(loadConfig({}).fillers).toEqual({
      enabled: true,
      defaultPhrases: ["One moment, please.", "Let me check that."],
      defaultTriggerMs: 2000,
    });
    const custom = loadConfig({
      PARLEY_FILLER_PHRASES: " Hold on. | Just a second. ",
      PARLEY_FILLER_TRIGGER_MS: "800",
    }).fillers;
    expect(custom.defaultPhrases).toEqual(["Hold on.", "Just a second."]);
    expect(custom.defaultTriggerMs).toBe(800);
    expect(loadConfig({ PARLEY_FILLER_PHRASES: "" }).fillers.defaultPhrases).toEqual([]);
    expect(loadConfig({ PARLEY_FILLERS: "off" }).fillers.enabled).toBe(false);
    expect(() => loadConfig({ PARLEY_FILLER_TRIGGER_MS: "50" })).toThrow(/PARLEY_FILLER_TRIGGER_MS/);
    expect(() => loadConfig({ PARLEY_FILLER_PHRASES: "a|b|c|d|e|f" })).toThrow(/PARLEY_FILLER_PHRASES/);
  });
});
