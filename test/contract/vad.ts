import { describe, expect, it } from "vitest";
import type { VadEngine, VadFrame } from "../../src/engines/vad/types.js";
import {
  endpoint,
  type EndpointerOptions,
  type EndpointEvent,
} from "../../src/pipeline/stages/endpointer.js";
import {
  cardsClips,
  chunked,
  librivoxClips,
  readPcm16Wav,
  speechExtentMs,
} from "../helpers/speech-corpus.js";

export interface VadContractOptions {
  skip?: { test: string; reason: string }[];
  endpointer: EndpointerOptions;
}

/**
 * Clips separated by known silences filled with low noise; returns the audio and the true speech segments.
 * The energy reference above misplaces speech that starts or ends on a soft fricative ("seven", "five",
 * "hearts": the VADs hear the /s/ or /f/, the energy does not), so the clips are ones that start and end
 * on voiced sounds.
 */
export function buildSpeechWithSilences(): {
  samples: Int16Array;
  segments: { startMs: number; endMs: number }[];
} {
  const clips = [librivoxClips()[1]!, cardsClips()[0]!, librivoxClips()[4]!].map(
    (c) => readPcm16Wav(c.wavPath).samples,
  );
  const silencesMs = [1500, 2000, 2500, 1800];
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed >>> 16) / 65536 - 0.5) * 20;
  };
  const parts: Int16Array[] = [];
  const segments: { startMs: number; endMs: number }[] = [];
  let atMs = 0;
  clips.forEach((clip, i) => {
    // Each clip starts on a multiple of 160 ms (2560 samples), where every engine's frames begin, so
    // frame alignment is the same for all clips.
    const alignSamples = (2560 - ((atMs * 16) % 2560)) % 2560;
    const silence = new Int16Array(silencesMs[i]! * 16 + alignSamples).map(() => Math.round(noise()));
    atMs += alignSamples / 16;
    parts.push(silence);
    atMs += silencesMs[i]!;
    const extent = speechExtentMs(clip);
    segments.push({ startMs: atMs + extent.startMs, endMs: atMs + extent.endMs });
    parts.push(clip);
    atMs += clip.length / 16;
  });
  parts.push(new Int16Array(silencesMs.at(-1)! * 16).map(() => Math.round(noise())));
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    samples.set(part, offset);
    offset += part.length;
  }
  return { samples, segments };
}

/** What every VAD must do, with the endpointer settings given for it. */
export function runContract(name: string, factory: () => VadEngine, options: VadContractOptions): void {
  const skipped = new Set((options.skip ?? []).map((s) => s.test));
  const test = (title: string, body: () => Promise<void>) => (skipped.has(title) ? it.skip : it)(title, body);

  describe(`vad contract: ${name}`, () => {
    const engine = factory();
    const { samples, segments } = buildSpeechWithSilences();

    test("gives one probability per frame, back to back", async () => {
      const frames: VadFrame[] = [];
      for await (const frame of engine.process(chunked(samples, 999), {
        signal: new AbortController().signal,
      }))
        frames.push(frame);
      expect(frames.length).toBe(Math.floor(samples.length / 16 / engine.frameDurationMs));
      frames.forEach((frame, i) => {
        expect(frame.startMs).toBeCloseTo(i * engine.frameDurationMs, 5);
        expect(frame.probability).toBeGreaterThanOrEqual(0);
        expect(frame.probability).toBeLessThanOrEqual(1);
      });
    });

    test("finds every speech segment within 150 ms and nothing in the silences", async () => {
      const events: EndpointEvent[] = [];
      for await (const event of endpoint(
        engine.process(chunked(samples, 1600), { signal: new AbortController().signal }),
        options.endpointer,
      )) {
        events.push(event);
      }
      const found = events.flatMap((e) =>
        e.type === "speech-end" ? [{ startMs: e.startMs, endMs: e.endMs }] : [],
      );
      expect(found.length, JSON.stringify({ found, segments })).toBe(segments.length);
      if (process.env.PARLEY_DEBUG_VAD) console.log(name, JSON.stringify({ found, segments }));
      found.forEach((segment, i) => {
        expect(Math.abs(segment.startMs - segments[i]!.startMs), `start of segment ${i}`).toBeLessThanOrEqual(
          150,
        );
        expect(Math.abs(segment.endMs - segments[i]!.endMs), `end of segment ${i}`).toBeLessThanOrEqual(150);
      });
    });

    test("stops when aborted", async () => {
      const controller = new AbortController();
      const reason = new DOMException("stop", "AbortError");
      let frames = 0;
      await expect(
        (async () => {
          for await (const _frame of engine.process(chunked(samples, 1600), { signal: controller.signal })) {
            frames += 1;
            if (frames === 10) controller.abort(reason);
          }
        })(),
      ).rejects.toBe(reason);
      expect(frames).toBe(10);
    });
  });
}
