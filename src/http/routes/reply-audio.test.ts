import { describe, expect, it } from "vitest";
import { FakeTtsEngine } from "../../engines/tts/fake/engine.js";
import type { TtsChunk, TtsEngine } from "../../engines/tts/types.js";
import type { WireEvent } from "../../protocol/events.js";
import { LatencyMarks } from "./latency-report.js";
import { ReplyAudioRenderer } from "./reply-audio.js";

type Piece = Extract<WireEvent, { type: "new-message" }>;

function renderer() {
  const written: Piece[] = [];
  const audio = new ReplyAudioRenderer(
    {
      write: (event: WireEvent) => {
        written.push(event as Piece);
        return Promise.resolve();
      },
    },
    {
      tts: new FakeTtsEngine(),
      voiceId: undefined,
      format: "wav",
      signal: new AbortController().signal,
      marks: new LatencyMarks(),
    },
  );
  return { audio, written };
}

/** Lets the renderer synthesize and write what it can. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("ReplyAudioRenderer", () => {
  it("sends a sentence's piece while the agent is still writing when more text is known to follow", async () => {
    const { audio, written } = renderer();
    audio.push("m1", "Hello there. How are");
    await settle();
    expect(written.map((p) => [p.sequence_number, p.stop])).toEqual([[0, false]]);
    audio.push("m1", " you?");
    await audio.finish();
    expect(written.map((p) => [p.sequence_number, p.stop])).toEqual([
      [0, false],
      [1, true],
    ]);
    expect(written.every((p) => p.message_id === "m1")).toBe(true);
  });

  it("holds a piece only until it is known whether it is the last", async () => {
    const { audio, written } = renderer();
    audio.push("m2", "First sentence.");
    await settle();
    expect(written).toHaveLength(0);
    audio.push("m2", " Second one.");
    await settle();
    expect(written.map((p) => p.stop)).toEqual([false]);
    await audio.finish();
    expect(written.map((p) => p.stop)).toEqual([false, true]);
  });

  it("marks a single-sentence reply's only piece as the last", async () => {
    const { audio, written } = renderer();
    audio.push("m3", "Just this.");
    await audio.finish();
    expect(written.map((p) => [p.sequence_number, p.stop])).toEqual([[0, true]]);
  });

  it("does not count text with nothing to speak as more to come", async () => {
    const { audio, written } = renderer();
    audio.push("m4", "Done. ...");
    await audio.finish();
    expect(written.map((p) => p.stop)).toEqual([true]);
  });
});

describe("ReplyAudioRenderer failures", () => {
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
    const audio = new ReplyAudioRenderer(
      { write: () => Promise.resolve() },
      {
        tts: failing,
        voiceId: undefined,
        format: "wav",
        signal: new AbortController().signal,
        marks: new LatencyMarks(),
        onFailure: (error) => failures.push(error),
      },
    );
    audio.push("m9", "Hello there.");
    // The agent is slow: nothing calls finish() for a while, and the failure must not go unhandled.
    await settle();
    expect(failures.map((e) => (e as Error).message)).toEqual(["synthesis failed"]);
    await expect(audio.finish()).rejects.toThrow("synthesis failed");
  });
});
