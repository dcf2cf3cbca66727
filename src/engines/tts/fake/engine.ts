import { speakableCount, splitSentences } from "../../../lib/sentences.js";
import type { TtsChunk, TtsEngine, TtsOptions } from "../types.js";

/** Milliseconds of tone per character. */
const CHARACTER_MS = 60;

/**
 * A fake synthesizer for pipeline tests: each character becomes 60 ms of a tone (pitch from the
 * character code, silence for spaces), so timings are exact and audio length follows text length.
 */
export class FakeTtsEngine implements TtsEngine {
  readonly name = "fake";
  readonly capabilities = {
    streaming: true,
    sampleRatesHz: [16_000],
    languages: ["en-US"],
    voices: ["fake:tone"],
  };

  async *synthesize(text: AsyncIterable<string> | string, options: TtsOptions): AsyncIterable<TtsChunk> {
    let startMs = 0;
    for await (const sentence of splitSentences(text)) {
      options.signal.throwIfAborted();
      if (speakableCount(sentence) === 0) continue;
      const samplesPerChar = (16_000 * CHARACTER_MS) / 1000;
      const samples = new Int16Array(sentence.length * samplesPerChar);
      [...sentence].forEach((character, i) => {
        if (character.trim() === "") return;
        const frequencyHz = 200 + (character.charCodeAt(0) % 40) * 20;
        for (let n = 0; n < samplesPerChar; n += 1) {
          samples[i * samplesPerChar + n] = Math.round(
            8000 * Math.sin((2 * Math.PI * frequencyHz * n) / 16_000),
          );
        }
      });
      yield {
        samples,
        sampleRateHz: 16_000,
        text: sentence,
        characterTimings: [...sentence].map((c, i) => [startMs + i * CHARACTER_MS, c] as [number, string]),
        startMs,
      };
      startMs += sentence.length * CHARACTER_MS;
    }
  }
}
