import { afterAll, describe, expect, it } from "vitest";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import type { TtsChunk } from "../../src/engines/tts/types.js";
import { runContract } from "./tts.js";

const engine = new FliteEngine();
afterAll(() => engine.close());
runContract("flite", () => engine);

async function chunksOf(text: string): Promise<TtsChunk[]> {
  const chunks: TtsChunk[] = [];
  for await (const chunk of engine.synthesize(text, { signal: new AbortController().signal }))
    chunks.push(chunk);
  return chunks;
}

const durationMs = (chunk: TtsChunk) => (chunk.samples.length * 1000) / chunk.sampleRateHz;

describe("Flite: the reply's first clause", () => {
  it("comes as its own chunk, joined to the rest as the sentence spoken whole", async () => {
    const reply = "Wonderful, you are booked for the time we discussed. Is there anything else?";
    const chunks = await chunksOf(reply);
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      "Wonderful, ",
      "you are booked for the time we discussed. ",
      "Is there anything else?",
    ]);
    // Only Flite's pause between runs is trimmed: the two parts last about as long as the sentence
    // synthesized in one run (3.2 s), not 0.35 s more.
    // Only a reply's first sentence is split: after "Yes." the sentence comes whole.
    const [, whole] = await chunksOf("Yes. Wonderful, you are booked for the time we discussed.");
    const partsMs = durationMs(chunks[0]!) + durationMs(chunks[1]!);
    expect(Math.abs(partsMs - durationMs(whole!))).toBeLessThanOrEqual(150);
    // The second part's words start at once; its timings stay inside its audio.
    const second = chunks[1]!;
    expect(second.characterTimings[0]![0] - second.startMs).toBeLessThanOrEqual(40);
    expect(second.characterTimings.at(-1)![0]).toBeLessThanOrEqual(second.startMs + durationMs(second));
  });

  it("is not cut off when little follows it", async () => {
    const chunks = await chunksOf("Of course, at ten. See you then.");
    expect(chunks.map((chunk) => chunk.text)).toEqual(["Of course, at ten. ", "See you then."]);
  });
});
