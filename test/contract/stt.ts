import { describe, expect, it } from "vitest";
import { isAppError } from "../../src/lib/app-error.js";
import type { SttEngine, SttEvent } from "../../src/engines/stt/types.js";
import {
  cardsClips,
  cardsGrammar,
  chunked,
  clipsWithPauses,
  librivoxClips,
  readPcm16Wav,
} from "../helpers/speech-corpus.js";
import { corpusWer, wordErrors } from "../helpers/wer.js";

export interface SttContractOptions {
  skip?: { test: string; reason: string }[];
  /** Corpus WER the engine must reach on the LibriVox clips. */
  maxLibrivoxWer: number;
  /** Corpus WER in grammar mode on the cards clips. */
  maxCardsWer: number;
}

async function collect(
  engine: SttEngine,
  audio: AsyncIterable<Int16Array>,
  options: Partial<Parameters<SttEngine["recognize"]>[1]> = {},
) {
  const events: SttEvent[] = [];
  for await (const event of engine.recognize(audio, { signal: new AbortController().signal, ...options }))
    events.push(event);
  return events;
}

function finalOf(events: SttEvent[]) {
  const finals = events.filter((e) => e.type === "final");
  expect(finals).toHaveLength(1);
  expect(events.at(-1)?.type).toBe("final");
  const final = finals[0]!;
  if (final.type !== "final") throw new Error("unreachable");
  return final;
}

/** The pause test's speech: two short LibriVox clips with a second of silence between them. */
export const PAUSE_MS = 1000;
export function pausedClips() {
  const clips = librivoxClips();
  return [clips[1]!, clips[4]!];
}

/** What every speech recognizer must do, on real speech from Debian's pocketsphinx-testdata. */
export function runContract(name: string, factory: () => SttEngine, options: SttContractOptions): void {
  const skipped = new Set((options.skip ?? []).map((s) => s.test));
  const test = (title: string, body: () => Promise<void>) => (skipped.has(title) ? it.skip : it)(title, body);

  describe(`stt contract: ${name}`, () => {
    const engine = factory();

    test("recognizes read speech within the word error rate", async () => {
      const pairs = [];
      for (const clip of librivoxClips()) {
        const { samples } = readPcm16Wav(clip.wavPath);
        const final = finalOf(await collect(engine, chunked(samples)));
        pairs.push({ reference: clip.transcript, hypothesis: final.text });
      }
      expect(corpusWer(pairs)).toBeLessThanOrEqual(options.maxLibrivoxWer);
    });

    test("recognizes a closed set of phrases in grammar mode", async () => {
      const pairs = [];
      for (const clip of cardsClips()) {
        const { samples } = readPcm16Wav(clip.wavPath);
        const final = finalOf(await collect(engine, chunked(samples), { jsgfGrammar: cardsGrammar() }));
        expect(final.mode).toBe("grammar");
        pairs.push({ reference: clip.transcript, hypothesis: final.text });
      }
      expect(corpusWer(pairs)).toBeLessThanOrEqual(options.maxCardsWer);
    });

    test("gives partial results before the audio ends", async () => {
      const { samples } = readPcm16Wav(librivoxClips()[0]!.wavPath);
      let inputDone = false;
      // Audio arrives as from a live source: a 50 ms chunk every 10 ms.
      const audio = (async function* () {
        for await (const chunk of chunked(samples, 800)) {
          yield chunk;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        inputDone = true;
      })();
      let partialBeforeEnd = false;
      for await (const event of engine.recognize(audio, { signal: new AbortController().signal })) {
        if (event.type === "partial" && !inputDone) partialBeforeEnd = true;
      }
      expect(partialBeforeEnd).toBe(true);
    });

    test("word timings increase and lie within the audio", async () => {
      const clip = librivoxClips()[1]!;
      const { samples } = readPcm16Wav(clip.wavPath);
      const final = finalOf(await collect(engine, chunked(samples)));
      const durationMs = samples.length / 16;
      expect(final.words.length).toBeGreaterThan(3);
      let previousEnd = 0;
      for (const word of final.words) {
        expect(word.startMs).toBeGreaterThanOrEqual(previousEnd - 1);
        expect(word.endMs).toBeGreaterThan(word.startMs);
        expect(word.endMs).toBeLessThanOrEqual(durationMs + 50);
        previousEnd = word.endMs;
      }
    });

    test("recognizes speech that goes on after a pause as well as each part alone", async () => {
      const clips = pausedClips();
      let errorsAlone = 0;
      for (const clip of clips) {
        const final = finalOf(await collect(engine, chunked(readPcm16Wav(clip.wavPath).samples)));
        errorsAlone += wordErrors(clip.transcript, final.text).errors;
      }
      const joined = clipsWithPauses(clips, PAUSE_MS);
      const final = finalOf(await collect(engine, chunked(joined.samples)));
      expect(wordErrors(joined.transcript, final.text).errors).toBeLessThanOrEqual(errorsAlone + 1);
      // Word timings count from the start of the whole stream, across the pause.
      const secondStartMs = joined.startsMs[1]!;
      expect(final.words.at(-1)!.startMs).toBeGreaterThan(secondStartMs);
      expect(final.words[0]!.startMs).toBeLessThan(secondStartMs - PAUSE_MS);
    });

    test("stops when aborted mid-stream and serves the next request", async () => {
      const { samples } = readPcm16Wav(librivoxClips()[0]!.wavPath);
      const controller = new AbortController();
      const reason = new DOMException("barge-in", "AbortError");
      const audio = (async function* () {
        let sent = 0;
        for await (const chunk of chunked(samples)) {
          yield chunk;
          sent += 1;
          if (sent === 5) controller.abort(reason);
        }
      })();
      await expect(
        (async () => {
          for await (const _event of engine.recognize(audio, { signal: controller.signal })) {
            // drain
          }
        })(),
      ).rejects.toBe(reason);
      const clip = librivoxClips()[3]!;
      const final = finalOf(await collect(engine, chunked(readPcm16Wav(clip.wavPath).samples)));
      expect(corpusWer([{ reference: clip.transcript, hypothesis: final.text }])).toBeLessThanOrEqual(0.5);
    });

    test("keeps serving while other streams stall, before or after their first audio", async () => {
      // Three stalled streams, more than the pocketsphinx contract engine has workers: one has sent
      // nothing yet, two trickle (one sample, then nothing).
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const controller = new AbortController();
      const stalled = [undefined, new Int16Array(1), new Int16Array(1)].map(async (first) => {
        const audio = (async function* () {
          if (first !== undefined) yield first;
          await released;
        })();
        try {
          for await (const _event of engine.recognize(audio, { signal: controller.signal })) {
            // drain
          }
        } catch {
          // Aborted below.
        }
      });
      const clip = librivoxClips()[1]!;
      const final = finalOf(await collect(engine, chunked(readPcm16Wav(clip.wavPath).samples)));
      expect(corpusWer([{ reference: clip.transcript, hypothesis: final.text }])).toBeLessThanOrEqual(0.5);
      controller.abort(new DOMException("gave up", "AbortError"));
      release();
      await Promise.all(stalled);
    });

    test("rejects a language it does not support", async () => {
      const error = await collect(engine, chunked(new Int16Array(1600)), { language: "fr-FR" }).catch(
        (e: unknown) => e,
      );
      expect(isAppError(error) && error.httpStatus === 400).toBe(true);
      expect(engine.capabilities.languages).not.toContain("fr-FR");
    });

    test("silence gives an empty final result", async () => {
      const final = finalOf(await collect(engine, chunked(new Int16Array(16_000))));
      expect(final.text.trim()).toBe("");
    });
  });
}
