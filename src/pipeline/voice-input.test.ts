import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { PocketSphinxEngine } from "../engines/stt/pocketsphinx/engine.js";
import { cardsClips, librivoxClips } from "../../test/helpers/speech-corpus.js";
import { wer } from "../lib/wer.js";
import { transcribeUpload } from "./voice-input.js";

const stt = new PocketSphinxEngine();
afterAll(() => stt.close());

async function* bytesOf(file: string): AsyncIterable<Uint8Array> {
  yield fs.readFileSync(file);
}

/**
 * Highest word error rate accepted for the open-vocabulary transcript of LibriVox clip 3. PocketSphinx
 * (en-us model) gets 4 of its 19 words wrong (0.21); the bound leaves about three words of margin.
 */
const OPEN_CLIP_MAX_WER = 0.4;

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
    expect(result.grammarText).toBe(clip.transcript);
    expect(wer(clip.transcript, result.text)).toBe(0);
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
    expect(wer(clip.transcript, result.text), result.text).toBeLessThanOrEqual(OPEN_CLIP_MAX_WER);
    expect(result.text).toBe(result.openText?.trim());
  });
});
