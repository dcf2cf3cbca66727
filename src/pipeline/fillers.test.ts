import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_FILLER_SETTINGS, type FillerSettings } from "../config/config.js";
import type { TurnStep } from "../domain/turn-events.js";
import { FakeTtsEngine } from "../engines/tts/fake/engine.js";
import type { TtsOptions } from "../engines/tts/types.js";
import { pcm16OfWav, sameSamples } from "../../test/helpers/reply-audio.js";
import { FillerAudioCache } from "./fillers-audio.js";
import { type DueFiller, FillerTimer } from "./fillers.js";

const started = { type: "tool-call-started", tool_name: "slots" };

function step(stepId: string, fillers: string[], seconds?: number): TurnStep {
  return {
    stepId,
    startedEvent: started,
    fillers,
    ...(seconds === undefined ? {} : { fillerTriggeredAfterSeconds: seconds }),
  };
}

/** A fake synthesizer that counts its calls (the cache must synthesize each phrase once per voice). */
class CountingTts extends FakeTtsEngine {
  calls: string[] = [];
  override synthesize(text: AsyncIterable<string> | string, options: TtsOptions) {
    this.calls.push(`${options.voiceId ?? ""}:${typeof text === "string" ? text : "(stream)"}`);
    return super.synthesize(text, options);
  }
}

function timerWith(
  settings: Partial<FillerSettings> = {},
  voice?: { tts: CountingTts; cache: FillerAudioCache },
) {
  const emitted: DueFiller[] = [];
  const errors: unknown[] = [];
  const controller = new AbortController();
  const timer = new FillerTimer({
    settings: { ...DEFAULT_FILLER_SETTINGS, ...settings },
    voice: voice === undefined ? undefined : { tts: voice.tts, voiceId: "fake:tone", cache: voice.cache },
    signal: controller.signal,
    emit: (filler) => {
      emitted.push(filler);
      return Promise.resolve();
    },
    onError: (error) => errors.push(error),
    pick: () => 0,
  });
  return { timer, emitted, errors, controller };
}

describe("FillerTimer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("emits one authored filler when the step outlives its trigger", async () => {
    const { timer, emitted } = timerWith();
    timer.stepStarted(step("tool:1", ["Let me look that up."], 1.5));
    await vi.advanceTimersByTimeAsync(1499);
    expect(emitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(emitted.map((f) => f.text)).toEqual(["Let me look that up."]);
    expect(emitted[0]!.step.startedEvent).toBe(started);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(emitted).toHaveLength(1);
  });

  it("emits nothing for a step that ends before its trigger", async () => {
    const { timer, emitted } = timerWith();
    timer.stepStarted(step("decision:1", ["One moment."], 1.5));
    await vi.advanceTimersByTimeAsync(1000);
    timer.stepEnded("decision:1");
    await vi.advanceTimersByTimeAsync(5000);
    expect(emitted).toEqual([]);
  });

  it("emits nothing once the answer has started", async () => {
    const { timer, emitted } = timerWith();
    timer.stepStarted(step("tool:1", ["One moment."], 1));
    timer.answerStarted();
    timer.stepStarted(step("tool:2", ["One moment."], 1));
    await vi.advanceTimersByTimeAsync(5000);
    expect(emitted).toEqual([]);
  });

  it("uses the configured defaults for a step without authored fillers, and none when off", async () => {
    const withDefaults = timerWith({ defaultPhrases: ["Hold on."], defaultTriggerMs: 700 });
    withDefaults.timer.stepStarted(step("tool:1", []));
    await vi.advanceTimersByTimeAsync(701);
    expect(withDefaults.emitted.map((f) => f.text)).toEqual(["Hold on."]);

    const noDefaults = timerWith({ defaultPhrases: [] });
    noDefaults.timer.stepStarted(step("tool:1", []));
    const off = timerWith({ enabled: false });
    off.timer.stepStarted(step("tool:1", ["Authored."], 0.5));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(noDefaults.emitted).toEqual([]);
    expect(off.emitted).toEqual([]);
  });

  it("emits nothing after the reply is aborted", async () => {
    const { timer, emitted, controller } = timerWith();
    timer.stepStarted(step("tool:1", ["One moment."], 1));
    controller.abort(new DOMException("gone", "AbortError"));
    await vi.advanceTimersByTimeAsync(5000);
    expect(emitted).toEqual([]);
  });

  it("speaks fillers in the reply's voice, synthesizing each phrase once per voice", async () => {
    const voice = { tts: new CountingTts(), cache: new FillerAudioCache() };
    for (const turn of [1, 2, 3]) {
      const { timer, emitted } = timerWith({}, voice);
      timer.stepStarted(step(`tool:${turn}`, ["One moment."], 1));
      await vi.advanceTimersByTimeAsync(1001);
      expect(emitted).toHaveLength(1);
      const audio = emitted[0]!.audio!;
      expect(audio.durationMs).toBeGreaterThan(0);
      expect(audio.alignment.map(([, c]) => c).join("")).toBe("One moment.");
      const wav = pcm16OfWav(Buffer.from(audio.wavBase64, "base64"));
      expect(wav.sampleRateHz).toBe(16_000);
      expect(wav.channels).toBe(1);
      expect(sameSamples(wav.samples, audio.pcm)).toBe(true);
    }
    expect(voice.tts.calls).toEqual(["fake:tone:One moment."]);
  });
});

describe("FillerAudioCache", () => {
  it("keeps at most its capacity, dropping the least recently used", async () => {
    const tts = new CountingTts();
    const cache = new FillerAudioCache(2);
    await cache.audioOf(tts, "a", "One.");
    await cache.audioOf(tts, "a", "Two.");
    await cache.audioOf(tts, "a", "One.");
    await cache.audioOf(tts, "a", "Three.");
    expect(cache.size).toBe(2);
    await cache.audioOf(tts, "a", "One.");
    await cache.audioOf(tts, "a", "Two.");
    expect(tts.calls).toEqual(["a:One.", "a:Two.", "a:Three.", "a:Two."]);
  });

  it("does not keep a failed synthesis", async () => {
    const tts = new CountingTts();
    const cache = new FillerAudioCache();
    await expect(cache.audioOf(tts, "a", "...")).rejects.toThrow(/nothing to speak/);
    expect(cache.size).toBe(0);
  });
});
