import { describe, expect, it } from "vitest";
import { FakeTtsEngine } from "../engines/tts/fake/engine.js";
import type { TtsChunk, TtsEngine } from "../engines/tts/types.js";
import { ReplySpeaker, type Utterance } from "./speak.js";

/** An utterance as the old wire assertions read it. */
type Piece = { sequence_number: number; stop: boolean };

function renderer() {
  const written: Piece[] = [];
  const audio = new ReplySpeaker({
    tts: new FakeTtsEngine(),
    voiceId: undefined,
    signal: new AbortController().signal,
    emit: (utterance: Utterance) => {
      written.push({ sequence_number: utterance.sequence, stop: utterance.isLast });
      return Promise.resolve();
    },
    onFailure: () => undefined,
  });
  return { audio, written };
}

/** Lets the renderer synthesize and write what it can. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("ReplySpeaker", () => {
  it("sends a sentence's piece while the agent is still writing when more text is known to follow", async () => {
    const { audio, written } = renderer();
    audio.push("Hello there. How are");
    await settle();
    expect(written.map((p) => [p.sequence_number, p.stop])).toEqual([[0, false]]);
    audio.push(" you?");
    await audio.finish();
    expect(written.map((p) => [p.sequence_number, p.stop])).toEqual([
      [0, false],
      [1, true],
    ]);
  });

  it("holds a piece only until it is known whether it is the last", async () => {
    const { audio, written } = renderer();
    audio.push("First sentence.");
    await settle();
    expect(written).toHaveLength(0);
    audio.push(" Second one.");
    await settle();
    expect(written.map((p) => p.stop)).toEqual([false]);
    await audio.finish();
    expect(written.map((p) => p.stop)).toEqual([false, true]);
  });

  it("marks a single-sentence reply's only piece as the last", async () => {
    const { audio, written } = renderer();
    audio.push("Just this.");
    await audio.finish();
    expect(written.map((p) => [p.sequence_number, p.stop])).toEqual([[0, true]]);
  });

  it("does not count text with nothing to speak as more to come", async () => {
    const { audio, written } = renderer();
    audio.push("Done. ...");
    await audio.finish();
    expect(written.map((p) => p.stop)).toEqual([true]);
  });
});

describe("ReplySpeaker failures", () => {
  it("reports a synthesis failure at once while the agent is still working (it was an unhandled rejection)", async () => {
    const failing: TtsEngine = {
      name: "failing",
      capabilities: new FakeTtsEngine().capabilities,
      // eslint-disable-next-line require-yield -- fails before its first chunk
      async *synthesize(): AsyncIterable<TtsChunk> {
        throw new Error("synthesis failed");
      },
    };
    const failures: unknown[] = [];
    const audio = new ReplySpeaker({
      tts: failing,
      voiceId: undefined,
      signal: new AbortController().signal,
      emit: () => Promise.resolve(),
      onFailure: (error) => failures.push(error),
    });
    audio.push("Hello there.");
    // The agent is slow: nothing calls finish() for a while, and the failure must not go unhandled.
    await settle();
    expect(failures.map((e) => (e as Error).message)).toEqual(["synthesis failed"]);
    await expect(audio.finish()).rejects.toThrow("synthesis failed");
  });
});
