import { describe, expect, it } from "vitest";
import { chunked, librivoxClips, readPcm16Wav, speechExtentMs } from "../../test/helpers/speech-corpus.js";
import { WebRtcVadEngine } from "../engines/vad/webrtc/engine.js";
import { DEFAULT_VAD_SETTINGS, type DetectorEvent, FrameLevels, TurnDetector } from "./turn-detector.js";

const FRAME_MS = 10;

/** Feeds frames of `[probability, level]` from time 0 and returns every event with its frame's end. */
function run(frames: [number, number | undefined][]): (DetectorEvent & { atFrameEndMs: number })[] {
  const detector = new TurnDetector(DEFAULT_VAD_SETTINGS);
  return frames.flatMap(([probability, level], i) =>
    detector
      .push({ startMs: i * FRAME_MS, durationMs: FRAME_MS, probability }, level)
      .map((event) => ({ ...event, atFrameEndMs: (i + 1) * FRAME_MS })),
  );
}

const repeat = <T>(value: T, count: number): T[] => Array.from({ length: count }, () => value);

describe("TurnDetector", () => {
  it("counts the silence from the last voiced frame, not from the end of the VAD's hangover", () => {
    // 300 ms quiet, 1 s of speech, then 150 ms the VAD still calls speech at a low level (its hangover),
    // then silence.
    const frames: [number, number][] = [
      ...repeat<[number, number]>([0, 20], 30),
      ...repeat<[number, number]>([1, 3000], 100),
      ...repeat<[number, number]>([1, 40], 15),
      ...repeat<[number, number]>([0, 20], 80),
    ];
    const events = run(frames);
    const end = events.find((e) => e.type === "end")!;
    expect(end).toMatchObject({ type: "end", startMs: 300, endMs: 1300 });
    expect(end.atFrameEndMs).toBe(1300 + DEFAULT_VAD_SETTINGS.silence_duration_ms);
    // The hangover's low frames after the end do not start new speech.
    expect(events.filter((e) => e.type === "onset")).toHaveLength(1);
  });

  it("without levels, counts from the last speech frame as the VAD decides", () => {
    const frames: [number, undefined][] = [
      ...repeat<[number, undefined]>([0, undefined], 30),
      ...repeat<[number, undefined]>([1, undefined], 115),
      ...repeat<[number, undefined]>([0, undefined], 60),
    ];
    const end = run(frames).find((e) => e.type === "end")!;
    expect(end).toMatchObject({ startMs: 300, endMs: 1450 });
  });

  it("keeps a turn going through quiet speech above the noise floor, and ends a blip as a reset", () => {
    const speech: [number, number][] = [
      ...repeat<[number, number]>([0, 20], 10),
      ...repeat<[number, number]>([1, 3000], 30),
      // 400 ms of soft speech (above 4 % of the peak): still the same turn.
      ...repeat<[number, number]>([1, 300], 40),
      ...repeat<[number, number]>([1, 3000], 30),
      ...repeat<[number, number]>([0, 20], 60),
    ];
    const events = run(speech);
    expect(events.filter((e) => e.type === "end")).toEqual([
      expect.objectContaining({ startMs: 100, endMs: 1100 }),
    ]);
    const blip = run([...repeat<[number, number]>([1, 3000], 5), ...repeat<[number, number]>([0, 20], 20)]);
    expect(blip.map((e) => e.type)).toEqual(["onset", "reset"]);
  });
});

describe("FrameLevels", () => {
  it("gives each frame's RMS level, in frames cut the way the VAD cuts them", () => {
    const levels = new FrameLevels(160);
    levels.push(new Int16Array(100).fill(100));
    levels.push(new Int16Array(60).fill(100));
    levels.push(new Int16Array(170).fill(-300));
    expect(levels.take(0)).toBe(100);
    expect(levels.take(1)).toBe(300);
    expect(levels.take(2)).toBeUndefined();
    levels.push(new Int16Array(150).fill(50));
    expect(levels.take(2)).toBeCloseTo(Math.sqrt((10 * 300 * 300 + 150 * 50 * 50) / 160));
  });
});

describe("TurnDetector on real speech after digital silence", () => {
  it("ends each turn where the clip's voice ends, on one long stream of clips and zeros", async () => {
    // One VAD and one detector over 1 s of zeros, then the LibriVox clips twice, each followed by 2 s of
    // zeros (a live microphone between turns, as bench/realtime streams it). Broke: with no noise floor
    // learned after the zeros, the clips' quiet tails counted as voice while the VAD's hangover lasted,
    // and the ends came 50–220 ms late (median 80 ms).
    const clips = [...librivoxClips(), ...librivoxClips()].map((clip) => readPcm16Wav(clip.wavPath).samples);
    const speechEndsMs: number[] = [];
    const parts: Int16Array[] = [new Int16Array(16_000)];
    let streamMs = 1000;
    for (const speech of clips) {
      speechEndsMs.push(streamMs + speechExtentMs(speech).endMs);
      parts.push(speech, new Int16Array(32_000));
      streamMs += speech.length / 16 + 2000;
    }
    const stream = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
    parts.reduce((offset, part) => (stream.set(part, offset), offset + part.length), 0);
    const levels = new FrameLevels(160);
    levels.push(stream);
    const detector = new TurnDetector(DEFAULT_VAD_SETTINGS);
    const endsMs: number[] = [];
    let index = 0;
    const vad = new WebRtcVadEngine();
    for await (const frame of vad.process(chunked(stream, 320), { signal: new AbortController().signal })) {
      for (const event of detector.push(frame, levels.take(index)))
        if (event.type === "end") endsMs.push(event.endMs);
      index += 1;
    }
    expect(endsMs).toHaveLength(speechEndsMs.length);
    const offsetsMs = endsMs.map((endMs, i) => endMs - speechEndsMs[i]!);
    const sorted = offsetsMs.map(Math.abs).sort((a, b) => a - b);
    expect(
      sorted[Math.floor(sorted.length / 2)],
      `end − speech end per clip: ${offsetsMs.join(", ")} ms`,
    ).toBeLessThanOrEqual(30);
    expect(Math.max(...sorted), `end − speech end per clip: ${offsetsMs.join(", ")} ms`).toBeLessThanOrEqual(
      100,
    );
  });
});
