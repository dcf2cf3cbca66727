import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FillerAudio } from "../domain/turn-events.js";
import { FakeTtsEngine } from "../engines/tts/fake/engine.js";
import { FillerAudioCache } from "../pipeline/fillers-audio.js";
import type { AgentAudioChunk } from "./agent-audio.js";
import { FillerPlayback, wordEndsMs } from "./filler-playback.js";

let clockMs = 0;
const now = () => clockMs;

async function spoken(phrase: string): Promise<FillerAudio> {
  return new FillerAudioCache().audioOf(new FakeTtsEngine(), undefined, phrase);
}

/** Advances the fake clock and the fake timers together. */
async function advance(ms: number): Promise<void> {
  for (let i = 0; i < ms; i += 10) {
    clockMs += 10;
    await vi.advanceTimersByTimeAsync(10);
  }
}

const sentMs = (chunks: AgentAudioChunk[]) => chunks.reduce((n, c) => n + c.durationMs, 0);

describe("FillerPlayback", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    clockMs = 0;
  });
  afterEach(() => vi.useRealTimers());

  it("finds the word ends from the alignment", async () => {
    const filler = await spoken("One moment please.");
    // The fake synthesizer gives 60 ms per character.
    expect(wordEndsMs(filler)).toEqual([180, 600, 1080]);
  });

  it("plays a whole filler as filler chunks without sequence numbers, the last saying stop", async () => {
    const filler = await spoken("One moment please.");
    const chunks: AgentAudioChunk[] = [];
    new FillerPlayback(filler, "m1", (c) => chunks.push(c), now);
    await advance(1500);
    expect(sentMs(chunks)).toBeCloseTo(filler.durationMs, 5);
    expect(chunks.every((c) => c.filler && c.sequenceNumber === undefined && c.messageId === "m1")).toBe(
      true,
    );
    expect(chunks.map((c) => c.stop)).toEqual([...chunks.slice(1).map(() => false), true]);
    const joined = new Int16Array(chunks.reduce((n, c) => n + c.pcm.length, 0));
    let offset = 0;
    for (const c of chunks) joined.set(c.pcm, (offset += c.pcm.length) - c.pcm.length);
    expect(Buffer.from(joined.buffer).equals(Buffer.from(filler.pcm.buffer))).toBe(true);
  });

  it("ends at the next word boundary when the answer is ready, and says when it has played", async () => {
    const filler = await spoken("One moment please.");
    const chunks: AgentAudioChunk[] = [];
    const playback = new FillerPlayback(filler, "m1", (c) => chunks.push(c), now);
    await advance(250);
    let finished = false;
    void playback.finish().then(() => (finished = true));
    await advance(2000);
    expect(finished).toBe(true);
    const total = sentMs(chunks);
    // Cut inside "moment" (180–600 ms): it plays to the word's end, and "please" never goes out.
    expect(total).toBeCloseTo(600, 5);
    expect(chunks.at(-1)!.stop).toBe(true);
  });

  it("sends nothing more once stopped", async () => {
    const filler = await spoken("One moment please.");
    const chunks: AgentAudioChunk[] = [];
    const playback = new FillerPlayback(filler, "m1", (c) => chunks.push(c), now);
    await advance(100);
    playback.stop();
    const sent = chunks.length;
    await advance(2000);
    expect(chunks.length).toBe(sent);
    expect(sentMs(chunks)).toBeLessThan(filler.durationMs);
  });
});
