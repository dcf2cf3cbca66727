import { afterAll, describe, expect, it } from "vitest";
import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import { FliteEngine } from "../../src/engines/tts/flite/engine.js";
import { chunked } from "../helpers/speech-corpus.js";
import { corpusWer } from "../helpers/wer.js";

const sentences = [
  "I would like to book an appointment for tomorrow morning.",
  "My daughter has a fever and a sore throat.",
  "Can you call me back after five o'clock?",
  "The weather is very cold today.",
  "Please send the results to my email.",
  "I need to pick up my prescription.",
  "Thank you very much for your help.",
  "Where is the nearest parking lot?",
  "My phone number has changed this year.",
  "We will be there in about ten minutes.",
];

describe("speech round trip", () => {
  const tts = new FliteEngine();
  const stt = new PocketSphinxEngine();
  afterAll(async () => {
    await tts.close();
    await stt.close();
  });

  it("Flite rms speech of everyday sentences is recognized with a low word error rate", async () => {
    const pairs = [];
    for (const sentence of sentences) {
      const parts: Int16Array[] = [];
      for await (const chunk of tts.synthesize(sentence, {
        signal: new AbortController().signal,
        voiceId: "flite:rms",
      })) {
        expect(chunk.sampleRateHz).toBe(16_000);
        parts.push(chunk.samples);
      }
      const audio = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        audio.set(part, offset);
        offset += part.length;
      }
      let hypothesis = "";
      for await (const event of stt.recognize(chunked(audio), { signal: new AbortController().signal })) {
        if (event.type === "final") hypothesis = event.text;
      }
      pairs.push({ reference: sentence, hypothesis });
    }
    expect(corpusWer(pairs)).toBeLessThanOrEqual(0.15);
  });
});
