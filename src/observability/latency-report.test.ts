import { describe, expect, it } from "vitest";
import type { FillerAudio, TurnEvent, Utterance } from "../domain/turn-events.js";
import { LatencyReport } from "./latency-report.js";

const step = { stepId: "s", startedEvent: { type: "tool-call-started" }, fillers: ["One moment."] };
const audio: FillerAudio = {
  pcm: new Int16Array(160),
  sampleRateHz: 16_000,
  alignment: [],
  durationMs: 10,
  wavBase64: "",
};
const utterance: Utterance = {
  pcm: new Int16Array(160),
  sampleRateHz: 16_000,
  text: "Hello.",
  alignment: [],
  durationMs: 10,
  sequence: 0,
  isLast: true,
};

function reportOf(events: TurnEvent[]) {
  const report = new LatencyReport(1000);
  for (const event of events) report.observe(event);
  return report.report();
}

describe("LatencyReport", () => {
  it("gives time to first audio (a spoken filler) apart from time to first answer audio", () => {
    const report = reportOf([
      { type: "filler", messageId: "m", step, text: "One moment.", audio, atMs: 2600 },
      { type: "reply-audio", messageId: "m", utterance, atMs: 4000 },
    ]);
    expect(report.first_filler_ms).toBe(1600);
    expect(report.first_audio_ms).toBe(1600);
    expect(report.first_answer_audio_ms).toBe(3000);
  });

  it("counts the answer as first audio when no filler played", () => {
    const report = reportOf([{ type: "reply-audio", messageId: "m", utterance, atMs: 1500 }]);
    expect(report.first_filler_ms).toBeNull();
    expect(report.first_audio_ms).toBe(500);
    expect(report.first_answer_audio_ms).toBe(500);
  });

  it("does not count a text filler as audio", () => {
    const report = reportOf([
      { type: "filler", messageId: "m", step, text: "One moment.", atMs: 2000 },
      { type: "reply-text", messageId: "m", text: "Hi.", sequence: 0, isLast: true, atMs: 2500 },
    ]);
    expect(report.first_filler_ms).toBe(1000);
    expect(report.first_audio_ms).toBeNull();
    expect(report.first_answer_audio_ms).toBeNull();
  });
});
