import { describe, expect, it } from "vitest";
import {
  clipsWithPauses,
  librivoxClips,
  readPcm16Wav,
  speechExtentMs,
} from "../../../test/helpers/speech-corpus.js";
import { PauseSplitter, type SplitEvent } from "./pause-splitter.js";

interface SplitPhrase {
  startSample: number;
  samples: Int16Array;
}

/** Feeds `samples` in chunks of `chunkSamples` and collects the phrases. */
function split(samples: Int16Array, chunkSamples: number): SplitPhrase[] {
  const splitter = new PauseSplitter();
  const events: SplitEvent[] = [];
  for (let i = 0; i < samples.length; i += chunkSamples)
    events.push(...splitter.push(samples.subarray(i, i + chunkSamples)));
  events.push(...splitter.end());
  const phrases: SplitPhrase[] = [];
  let parts: Extract<SplitEvent, { type: "audio" }>[] = [];
  for (const event of events) {
    if (event.type === "audio") {
      if (parts.length > 0) {
        const last = parts.at(-1)!;
        expect(event.startSample).toBe(last.startSample + last.samples.length);
      }
      parts.push(event);
      continue;
    }
    expect(parts.length).toBeGreaterThan(0);
    const joined = new Int16Array(parts.reduce((n, p) => n + p.samples.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part.samples, offset);
      offset += part.samples.length;
    }
    phrases.push({ startSample: parts[0]!.startSample, samples: joined });
    parts = [];
  }
  expect(parts).toEqual([]);
  return phrases;
}

describe("PauseSplitter", () => {
  it("splits speech at a pause, keeps every sample in place and the same split however the audio comes", () => {
    const { samples, startsMs } = clipsWithPauses(librivoxClips().slice(0, 2), 600);
    const phrases = split(samples, 1600);
    expect(phrases.length).toBeGreaterThanOrEqual(2);
    // Every phrase holds the stream's own samples at the position it names, and together they cover
    // the stream from its first sample to its last.
    for (const phrase of phrases)
      expect(phrase.samples).toEqual(
        samples.subarray(phrase.startSample, phrase.startSample + phrase.samples.length),
      );
    expect(phrases[0]!.startSample).toBe(0);
    const last = phrases.at(-1)!;
    expect(last.startSample + last.samples.length).toBe(samples.length);
    for (let i = 1; i < phrases.length; i += 1) {
      const previous = phrases[i - 1]!;
      expect(phrases[i]!.startSample).toBeLessThanOrEqual(previous.startSample + previous.samples.length);
    }
    // One phrase starts between the end of the first clip and the second clip's first word.
    const firstClipEnd = readPcm16Wav(librivoxClips()[0]!.wavPath).samples.length;
    const secondSpeechMs =
      startsMs[1]! + speechExtentMs(readPcm16Wav(librivoxClips()[1]!.wavPath).samples).startMs;
    expect(phrases.some((p) => p.startSample >= firstClipEnd && p.startSample <= secondSpeechMs * 16)).toBe(
      true,
    );
    for (const chunkSamples of [160, 333, 48_000])
      expect(split(samples, chunkSamples).map((p) => [p.startSample, p.samples.length])).toEqual(
        phrases.map((p) => [p.startSample, p.samples.length]),
      );
  });

  it("ends a phrase of half a second of speech at the pause after it", () => {
    // LibriVox clip 0880: about 0.8 s of speech, a pause of about 180 ms from 0.97 s, then 1.8 s more.
    const samples = readPcm16Wav(librivoxClips()[1]!.wavPath).samples;
    const phrases = split(samples, 1600);
    expect(phrases).toHaveLength(2);
    expect(phrases[1]!.startSample / 16).toBeGreaterThan(970);
    expect(phrases[1]!.startSample / 16).toBeLessThan(1150);
  });

  it("leaves a stream without pauses whole, and digital silence in one piece", () => {
    const clip = readPcm16Wav(librivoxClips()[1]!.wavPath).samples.subarray(0, 16_000);
    const phrases = split(clip, 1600);
    expect(phrases).toHaveLength(1);
    expect(phrases[0]!.samples).toEqual(clip);
    expect(split(new Int16Array(32_000), 1600)).toHaveLength(1);
    expect(split(new Int16Array(0), 1600)).toHaveLength(0);
  });
});
