import { describe, expect, it } from "vitest";
import type { TtsChunk, TtsEngine } from "../../src/engines/tts/types.js";

export interface TtsContractOptions {
  skip?: { test: string; reason: string }[];
}

async function collect(
  engine: TtsEngine,
  text: AsyncIterable<string> | string,
  voiceId?: string,
  signal = new AbortController().signal,
) {
  const chunks: TtsChunk[] = [];
  for await (const chunk of engine.synthesize(text, {
    signal,
    ...(voiceId === undefined ? {} : { voiceId }),
  }))
    chunks.push(chunk);
  return chunks;
}

const durationMs = (chunk: TtsChunk) => (chunk.samples.length * 1000) / chunk.sampleRateHz;

/** What every synthesizer must do. */
export function runContract(name: string, factory: () => TtsEngine, options: TtsContractOptions = {}): void {
  const skipped = new Set((options.skip ?? []).map((s) => s.test));
  const test = (title: string, body: () => Promise<void>) => (skipped.has(title) ? it.skip : it)(title, body);

  describe(`tts contract: ${name}`, () => {
    const engine = factory();

    test("speaks each sentence as its own chunk, timed from the start of the reply", async () => {
      const text = "Good morning. Your appointment is at ten. See you soon!";
      const chunks = await collect(engine, text);
      expect(chunks).toHaveLength(3);
      expect(chunks.map((c) => c.text).join("")).toBe(text);
      let expectedStartMs = 0;
      for (const chunk of chunks) {
        expect(chunk.startMs).toBeCloseTo(expectedStartMs, 0);
        expect(chunk.samples.length).toBeGreaterThan(0);
        expect(chunk.characterTimings.map(([, c]) => c).join("")).toBe(chunk.text);
        const times = chunk.characterTimings.map(([t]) => t);
        for (let i = 1; i < times.length; i += 1) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
        expect(times[0]!).toBeGreaterThanOrEqual(chunk.startMs);
        // The last character is spoken before the chunk's audio ends.
        expect(times.at(-1)!).toBeLessThanOrEqual(chunk.startMs + durationMs(chunk));
        expectedStartMs += durationMs(chunk);
      }
    });

    test("gives no chunk for a sentence with nothing to speak", async () => {
      const chunks = await collect(engine, "Done. ... !");
      expect(chunks.map((c) => c.text.trim())).toEqual(["Done."]);
    });

    test("takes text as a stream of deltas", async () => {
      async function* deltas() {
        for (const piece of ["Hello", " there.", " How are", " you?"]) yield piece;
      }
      const chunks = await collect(engine, deltas());
      expect(chunks.map((c) => c.text.trim())).toEqual(["Hello there.", "How are you?"]);
    });

    test("speaks with every voice it lists, each its own, and falls back on an unknown one", async () => {
      const text = "Testing this voice.";
      const byVoice = new Map<string, Int16Array>();
      for (const voice of engine.capabilities.voices) {
        const chunks = await collect(engine, text, voice);
        expect(chunks).toHaveLength(1);
        expect(chunks[0]!.samples.length).toBeGreaterThan(1000);
        // The same voice says the same text the same way.
        expect((await collect(engine, text, voice))[0]!.samples).toEqual(chunks[0]!.samples);
        byVoice.set(voice, chunks[0]!.samples);
      }
      const voices = [...byVoice.values()];
      for (let i = 1; i < voices.length; i += 1) {
        for (let j = 0; j < i; j += 1) expect(voices[i]).not.toEqual(voices[j]);
      }
      const fallback = await collect(engine, text, "nobody:unknown");
      const byDefault = await collect(engine, text);
      expect(fallback[0]!.samples.length).toBeGreaterThan(1000);
      expect(fallback[0]!.samples).toEqual(byDefault[0]!.samples);
    });

    test("stops when aborted, with the signal's reason", async () => {
      const controller = new AbortController();
      const reason = new DOMException("barge-in", "AbortError");
      const chunks: TtsChunk[] = [];
      await expect(
        (async () => {
          for await (const chunk of engine.synthesize("One. Two. Three. Four.", {
            signal: controller.signal,
          })) {
            chunks.push(chunk);
            controller.abort(reason);
          }
        })(),
      ).rejects.toBe(reason);
      expect(chunks).toHaveLength(1);
    });

    test("does not start when the signal is already aborted", async () => {
      const controller = new AbortController();
      const reason = new DOMException("gone", "AbortError");
      controller.abort(reason);
      await expect(collect(engine, "One. Two.", undefined, controller.signal)).rejects.toBe(reason);
    });
  });
}
