import { afterAll, describe, expect, it } from "vitest";
import { wer } from "../../lib/wer.js";
import { countingStt } from "../../../test/helpers/counting-stt.js";
import { chunked, clipsWithPauses, librivoxClips } from "../../../test/helpers/speech-corpus.js";
import { recognizeInParallelPhrases } from "./parallel-phrases.js";
import { PauseSplitter } from "./pause-splitter.js";
import { PocketSphinxEngine } from "./pocketsphinx/engine.js";
import type { SttEngine, SttEvent } from "./types.js";

const pocketsphinx = new PocketSphinxEngine({ poolSize: 2 });
afterAll(() => pocketsphinx.close());

async function finalOf(events: AsyncIterable<SttEvent>) {
  let partials = 0;
  for await (const event of events) {
    if (event.type === "final") return { ...event, partials };
    partials += 1;
  }
  throw new Error("no final");
}

/** Whole clip at once: every chunk already there. */
async function* whole(samples: Int16Array): AsyncIterable<Int16Array> {
  for (let i = 0; i < samples.length; i += 16_000) yield samples.slice(i, i + 16_000);
}

describe("recognizeInParallelPhrases", () => {
  it("recognizes a whole clip's phrases side by side, words and timings in order", async () => {
    const clips = librivoxClips().slice(0, 3);
    const { samples, transcript, startsMs } = clipsWithPauses(clips, 500);
    const { wrapped, counts } = countingStt(pocketsphinx);
    const result = await finalOf(
      recognizeInParallelPhrases(wrapped, whole(samples), {
        signal: new AbortController().signal,
        parallelism: 2,
      }),
    );
    expect(counts.total).toBeGreaterThanOrEqual(3);
    expect(counts.most).toBe(2);
    // The engine's own figure on LibriVox is about 0.32.
    expect(wer(transcript, result.text)).toBeLessThan(0.45);
    const starts = result.words.map((w) => w.startMs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const w of result.words) expect(w.endMs).toBeGreaterThan(w.startMs);
    expect(result.words.at(-1)!.endMs).toBeLessThanOrEqual(samples.length / 16);
    // Words of the last clip lie in its part of the stream.
    expect(result.words.filter((w) => w.startMs >= startsMs[2]!).length).toBeGreaterThan(3);
    expect(result.text).toBe(result.words.map((w) => w.word).join(" "));
  });

  it("gives the same words whether the audio comes at once or at real-time pace in small chunks", async () => {
    const { samples } = clipsWithPauses(librivoxClips().slice(3, 5), 400);
    const options = () => ({ signal: new AbortController().signal, parallelism: 2 });
    const atOnce = await finalOf(recognizeInParallelPhrases(pocketsphinx, whole(samples), options()));
    const chunkedResult = await finalOf(
      recognizeInParallelPhrases(pocketsphinx, chunked(samples, 320), options()),
    );
    expect(chunkedResult.text).toBe(atOnce.text);
    expect(chunkedResult.words.map((w) => [w.startMs, w.endMs])).toEqual(
      atOnce.words.map((w) => [w.startMs, w.endMs]),
    );
  });

  it("joins in stream order when a later phrase finishes first, and never runs more than `parallelism`", async () => {
    // Phrase n answers "p<n>" with one word at 0 ms; the first phrase answers last.
    let made = 0;
    const scripted: SttEngine = {
      name: "scripted",
      capabilities: {
        streaming: true,
        partialResults: true,
        sampleRatesHz: [16_000],
        languages: ["en"],
        grammars: false,
      },
      async *recognize(audio) {
        const n = (made += 1);
        for await (const chunk of audio) void chunk;
        if (n === 1) await new Promise((resolve) => setTimeout(resolve, 50));
        yield { type: "partial", text: `p${n}` };
        yield {
          type: "final",
          text: `p${n}`,
          words: [{ word: `p${n}`, startMs: 0, endMs: 10 }],
          confidence: 1,
          mode: "open",
        };
      },
    };
    const { wrapped, counts } = countingStt(scripted);
    const { samples } = clipsWithPauses(librivoxClips().slice(0, 4), 500);
    const result = await finalOf(
      recognizeInParallelPhrases(wrapped, whole(samples), {
        signal: new AbortController().signal,
        parallelism: 2,
      }),
    );
    expect(counts.most).toBeLessThanOrEqual(2);
    expect(result.text).toBe(Array.from({ length: made }, (_, i) => `p${i + 1}`).join(" "));
    expect(made).toBeGreaterThanOrEqual(4);
    expect(result.words[0]!.startMs).toBe(0);
    // Each word's time is its phrase's place in the stream.
    const splitter = new PauseSplitter();
    const events = [...splitter.push(samples), ...splitter.end()];
    const phraseStartsMs = events.flatMap((event, i) =>
      event.type === "audio" && (i === 0 || events[i - 1]!.type === "end") ? [event.startSample / 16] : [],
    );
    expect(result.words.map((w) => w.startMs)).toEqual(phraseStartsMs);
  });

  it("fails with the first phrase's failure and stops the others", async () => {
    const aborted: unknown[] = [];
    let made = 0;
    const failing: SttEngine = {
      name: "failing",
      capabilities: {
        streaming: true,
        partialResults: false,
        sampleRatesHz: [16_000],
        languages: ["en"],
        grammars: false,
      },
      async *recognize(audio, options) {
        const n = (made += 1);
        if (n === 2) throw new Error("phrase two failed");
        options.signal.addEventListener("abort", () => aborted.push(options.signal.reason));
        for await (const chunk of audio) void chunk;
        await new Promise((resolve) => setTimeout(resolve, 200));
        options.signal.throwIfAborted();
        yield { type: "final", text: "x", words: [], confidence: 0, mode: "open" };
      },
    };
    const { samples } = clipsWithPauses(librivoxClips().slice(0, 3), 500);
    await expect(
      finalOf(
        recognizeInParallelPhrases(failing, whole(samples), {
          signal: new AbortController().signal,
          parallelism: 2,
        }),
      ),
    ).rejects.toThrow("phrase two failed");
    expect(aborted.length).toBeGreaterThanOrEqual(1);
  });

  it("ends with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const { samples } = clipsWithPauses(librivoxClips().slice(0, 2), 500);
    const events = recognizeInParallelPhrases(pocketsphinx, chunked(samples, 1600), {
      signal: controller.signal,
      parallelism: 2,
    });
    setTimeout(() => controller.abort(new Error("client went away")), 100);
    await expect(finalOf(events)).rejects.toThrow("client went away");
    // The engine serves the next request.
    const next = await finalOf(
      recognizeInParallelPhrases(pocketsphinx, whole(samples.subarray(0, 48_000)), {
        signal: new AbortController().signal,
        parallelism: 2,
      }),
    );
    expect(next.text.length).toBeGreaterThan(0);
  });

  it("recognizes live audio (at real-time pace) one phrase at a time", async () => {
    // A tone, a 300 ms pause, a tone: two phrases.
    const tone = (ms: number) =>
      Int16Array.from({ length: ms * 16 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const samples = new Int16Array(2700 * 16);
    samples.set(tone(1200), 0);
    samples.set(tone(1200), 1500 * 16);
    async function* live(): AsyncIterable<Int16Array> {
      for (let i = 0; i < samples.length; i += 1600) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        yield samples.slice(i, i + 1600);
      }
    }
    let made = 0;
    const scripted: SttEngine = {
      name: "scripted",
      capabilities: {
        streaming: true,
        partialResults: false,
        sampleRatesHz: [16_000],
        languages: ["en"],
        grammars: false,
      },
      async *recognize(audio) {
        const n = (made += 1);
        for await (const chunk of audio) void chunk;
        // The final comes a while after the phrase's audio ends, as a recognizer's last pass does.
        await new Promise((resolve) => setTimeout(resolve, 300));
        yield { type: "final", text: `p${n}`, words: [], confidence: 0, mode: "open" };
      },
    };
    const { wrapped, counts } = countingStt(scripted);
    const result = await finalOf(
      recognizeInParallelPhrases(wrapped, live(), { signal: new AbortController().signal, parallelism: 2 }),
    );
    expect(result.text).toBe("p1 p2");
    expect(counts.most).toBe(1);
  });
});
