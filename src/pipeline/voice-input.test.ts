import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { PocketSphinxEngine } from "../engines/stt/pocketsphinx/engine.js";
import { countingStt } from "../../test/helpers/counting-stt.js";
import { cardsClips, clipsWithPauses, librivoxClips } from "../../test/helpers/speech-corpus.js";
import type { PcmChunk } from "../engines/codec/types.js";
import { wer } from "../lib/wer.js";
import { recognizeUtterance, transcribeUpload } from "./voice-input.js";

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

describe("live utterances", () => {
  /** 16 kHz samples as float chunks of 0.1 s, as the decoder stage gives them. */
  async function* floatChunks(samples: Int16Array): AsyncIterable<PcmChunk> {
    for (let offset = 0; offset < samples.length; offset += 1600) {
      const piece = samples.subarray(offset, offset + 1600);
      yield { sampleRateHz: 16_000, channels: [Float32Array.from(piece, (s) => s / 32768)] };
    }
  }

  it("recognizes a live utterance as one recognition across its pauses, and uploads phrase by phrase", async () => {
    const { samples, transcript } = clipsWithPauses(librivoxClips().slice(0, 3), 500);
    const recognizeCounting = async (live: boolean) => {
      const { wrapped, counts } = countingStt(stt);
      const result = await recognizeUtterance({
        pcm: floatChunks(samples),
        stt: wrapped,
        expectedPhrases: null,
        signal: new AbortController().signal,
        live,
      });
      return { text: result.text, recognitions: counts.total };
    };
    const live = await recognizeCounting(true);
    // One place on the recognizer from the first word to the last: a pause never queues it again.
    expect(live.recognitions).toBe(1);
    // The engine closes phrases at pauses itself; its own figure on LibriVox is about 0.32.
    expect(wer(transcript, live.text), live.text).toBeLessThan(0.45);
    const upload = await recognizeCounting(false);
    expect(upload.recognitions).toBeGreaterThanOrEqual(3);
  });
});
