import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { PocketSphinxEngine } from "../engines/stt/pocketsphinx/engine.js";
import { cardsClips, librivoxClips } from "../../test/helpers/speech-corpus.js";
import { transcribeUpload } from "./voice-input.js";

const stt = new PocketSphinxEngine();
afterAll(() => stt.close());

async function* bytesOf(file: string): AsyncIterable<Uint8Array> {
  yield fs.readFileSync(file);
}

const cardPhrases = [
  "ten of clubs",
  "four queen of clubs",
  "seven of clubs",
  "five five",
  "eight of spades",
  "ace of hearts",
];

describe("recognition with expected replies", () => {
  it("uses the grammar result when the answer is one of the expected phrases", async () => {
    const clip = cardsClips()[2]!;
    const result = await transcribeUpload({
      body: bytesOf(clip.wavPath),
      contentType: "audio/wav",
      audioConfig: undefined,
      stt,
      expectedPhrases: cardPhrases,
      signal: new AbortController().signal,
    });
    expect(result.mode, JSON.stringify(result.openText)).toBe("grammar");
    expect(result.text).toBe(clip.transcript);
  });

  it("falls back to open vocabulary when the answer is outside the grammar", async () => {
    const clip = librivoxClips()[3]!;
    const result = await transcribeUpload({
      body: bytesOf(clip.wavPath),
      contentType: "audio/wav",
      audioConfig: undefined,
      stt,
      expectedPhrases: cardPhrases,
      signal: new AbortController().signal,
    });
    expect(result.mode).toBe("open");
    expect(result.grammarConfidence ?? 0).toBeLessThan(0.5);
    expect(result.text.split(" ").length).toBeGreaterThan(8);
  });
});
