import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { recognizeInParallelPhrases } from "../../src/engines/stt/parallel-phrases.js";
import { PocketSphinxEngine } from "../../src/engines/stt/pocketsphinx/engine.js";
import type { SttEvent } from "../../src/engines/stt/types.js";
import { wordErrors } from "../../src/lib/wer.js";
import { decodeTo16k, fixtureDir, makeFlac, makeMp3, soxConvert } from "../helpers/audio-fixtures.js";
import { chunked, librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";

const engine = new PocketSphinxEngine();
const dir = fixtureDir();
afterAll(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The words of one stream, and of the same stream split into phrases recognized side by side. */
async function transcribe(samples: Int16Array): Promise<{ whole: string; phrases: string }> {
  const finalText = async (events: AsyncIterable<SttEvent>) => {
    for await (const event of events) if (event.type === "final") return event.text;
    throw new Error("no final result");
  };
  const signal = new AbortController().signal;
  return {
    whole: await finalText(engine.recognize(chunked(samples), { signal })),
    phrases: await finalText(
      recognizeInParallelPhrases(engine, chunked(samples), { signal, parallelism: 2 }),
    ),
  };
}

describe("recognition through every input format", () => {
  it.each(librivoxClips().map((c) => [c.id, c] as const))(
    "%s gives the same words as WAV, MP3 and FLAC",
    async (_id, clip) => {
      const reference = await transcribe(readPcm16Wav(clip.wavPath).samples);
      const base = `${dir}/${clip.id}`;
      const variants: [string, string][] = [
        [soxConvert(clip.wavPath, `${base}-48k.wav`, ["-r", "48000", "-c", "2"]), "audio/wav"],
        [makeMp3(clip.wavPath, `${base}.mp3`), "audio/mpeg"],
        [makeFlac(clip.wavPath, `${base}.flac`), "audio/flac"],
      ];
      for (const [file, contentType] of variants) {
        const text = await transcribe(await decodeTo16k(fs.readFileSync(file), { contentType }));
        for (const path of ["whole", "phrases"] as const) {
          expect(
            wordErrors(reference[path], text[path]).errors,
            `${contentType}, ${path}: "${text[path]}" vs "${reference[path]}"`,
          ).toBeLessThanOrEqual(1);
        }
      }
    },
  );
});
