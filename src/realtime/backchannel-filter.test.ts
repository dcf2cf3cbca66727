import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_BACKCHANNEL_WORDS,
  DEFAULT_INTERRUPTION_SETTINGS,
  FalseInterruptionGuard,
  interruptionSettings,
  isBackchannelOnly,
  judgeSpeech,
} from "./backchannel-filter.js";

const words = DEFAULT_BACKCHANNEL_WORDS;

describe("isBackchannelOnly", () => {
  it.each(["mm-hmm", "Yeah.", "okay okay", "Right!", "uh huh", "yeah right", "got it", "m m h m m", ""])(
    "takes %j as a backchannel",
    (text) => expect(isBackchannelOnly(text, words)).toBe(true),
  );
  it.each(["wait", "yeah but I need Tuesday", "no", "okay stop", "right now please", "I"])(
    "takes %j as meaningful",
    (text) => expect(isBackchannelOnly(text, words)).toBe(false),
  );
});

describe("judgeSpeech", () => {
  const settings = DEFAULT_INTERRUPTION_SETTINGS;
  it("resumes for short speech and backchannels, interrupts for a long meaningful one", () => {
    expect(judgeSpeech({ text: "stop", speechMs: 300, final: true }, settings)).toBe("resume");
    // A stray word after a backchannel (a recognizer's habit) is not enough.
    expect(judgeSpeech({ text: "yeah well", speechMs: 900, final: true }, settings)).toBe("resume");
    expect(judgeSpeech({ text: "yeah okay", speechMs: 900, final: true }, settings)).toBe("resume");
    expect(judgeSpeech({ text: "", speechMs: 900, final: true }, settings)).toBe("resume");
    expect(judgeSpeech({ text: "can we do Tuesday", speechMs: 900, final: true }, settings)).toBe(
      "interrupt",
    );
    expect(judgeSpeech({ text: "can we", speechMs: 300, final: false }, settings)).toBe("undecided");
    expect(judgeSpeech({ text: "can we", speechMs: 600, final: false }, settings)).toBe("interrupt");
  });
});

describe("interruptionSettings", () => {
  it("reads fields over the defaults and refuses bad ones with 422", () => {
    const read = interruptionSettings({ min_interruption_ms: 700, backchannel_words: ["sí"] });
    expect(read.min_interruption_ms).toBe(700);
    expect(read.backchannel_words).toEqual(["sí"]);
    expect(read.false_interruption_timeout_ms).toBe(2500);
    expect(read.resume_false_interruptions).toBe(true);
    expect(read.max_backchannel_ms).toBe(1500);
    expect(read.min_interruption_words).toBe(2);
    expect(() => interruptionSettings({ min_interruption_words: 0 })).toThrow(/min_interruption_words/);
    expect(interruptionSettings({ resume_false_interruptions: false }).resume_false_interruptions).toBe(
      false,
    );
    expect(() => interruptionSettings({ resume_false_interruptions: 1 })).toThrow(/resume_false/);
    expect(() => interruptionSettings({ min_interruption_ms: -1 })).toThrow(/min_interruption_ms/);
    expect(() => interruptionSettings({ backchannel_words: "yeah" })).toThrow(/backchannel_words/);
    expect(() => interruptionSettings([])).toThrow(/object/);
  });
});

describe("FalseInterruptionGuard", () => {
  it("resumes after meaningful words that were too short to interrupt", () => {
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    guard.partial("u1", "stop");
    guard.speechStopped("u1", 1350);
    expect(guard.speechEnded("u1", "stop")).toBe("resumed");
    expect(calls).toEqual(["pause", "resume"]);
  });

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function guarded() {
    const calls: string[] = [];
    const guard = new FalseInterruptionGuard(() => DEFAULT_INTERRUPTION_SETTINGS, {
      pause: () => calls.push("pause"),
      resume: () => calls.push("resume"),
      interrupt: () => calls.push("interrupt"),
    });
    return { guard, calls };
  }

  it("pauses on confirmed speech and resumes after a backchannel", () => {
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    expect(guard.watches("u1")).toBe(true);
    guard.speechStopped("u1", 1700);
    expect(guard.speechEnded("u1", "mm-hmm")).toBe("resumed");
    expect(calls).toEqual(["pause", "resume"]);
    expect(guard.watches("u1")).toBe(false);
  });

  it("interrupts as soon as a partial says something", () => {
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    guard.speechHeard("u1", 1600);
    guard.partial("u1", "yeah");
    guard.partial("u1", "can we");
    expect(calls).toEqual(["pause", "interrupt"]);
    expect(guard.speechEnded("u1", "yeah can we do Tuesday")).toBe("interrupted");
  });

  it("does not let a late partial lengthen short speech", () => {
    // Broke once: partials were timed by the clock, so a busy recognizer's late "the head" for a
    // 300 ms "uh-huh" counted as long speech and interrupted the agent.
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    guard.speechStopped("u1", 1310);
    guard.partial("u1", "the head");
    expect(calls).toEqual(["pause"]);
    expect(guard.speechEnded("u1", "the head")).toBe("resumed");
  });

  it("interrupts speech still going on after max_backchannel_ms, words or not", () => {
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    guard.speechHeard("u1", 2490);
    expect(calls).toEqual(["pause"]);
    guard.speechHeard("u1", 2500);
    expect(calls).toEqual(["pause", "interrupt"]);
    expect(guard.watches("u1")).toBe(false);
  });

  it("resumes when no decision came within the timeout after the speech stopped", async () => {
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    await vi.advanceTimersByTimeAsync(500);
    guard.speechStopped("u1", 1700);
    await vi.advanceTimersByTimeAsync(2499);
    expect(calls).toEqual(["pause"]);
    await vi.advanceTimersByTimeAsync(2);
    expect(calls).toEqual(["pause", "resume"]);
    // The transcript, late, says something after all: it still interrupts.
    expect(guard.speechEnded("u1", "stop waiting")).toBe("interrupted");
    expect(calls).toEqual(["pause", "resume", "interrupt"]);
  });

  it("resumes when the watched utterance is dropped, and ignores other utterances", () => {
    const { guard, calls } = guarded();
    guard.speechConfirmed("u1", 1000, 1200);
    guard.partial("u2", "stop everything now");
    guard.speechDropped("u2");
    guard.speechDropped("u1");
    expect(calls).toEqual(["pause", "resume"]);
  });
});
