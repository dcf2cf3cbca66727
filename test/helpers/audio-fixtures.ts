import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openAudioDecoder } from "../../src/engines/codec/open-decoder.js";
import type { RequestAudioConfig } from "../../src/engines/codec/types.js";
import { joinSamples } from "../../src/lib/samples.js";
import { toMonoInt16 } from "../../src/pipeline/stages/resample.js";

/** A temp dir for audio made from the corpus with sox, lame and flac (Debian packages set up by setup). */
export function fixtureDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "parley-audio-"));
}

/** Converts a 16 kHz WAV with sox: `soxArgs` are output options like `-r 48000 -c 2 -b 24`. */
export function soxConvert(source: string, target: string, soxArgs: string[]): string {
  execFileSync("sox", [source, ...soxArgs, target]);
  return target;
}

export function makeMp3(source: string, target: string): string {
  execFileSync("lame", ["--quiet", "-b", "64", source, target]);
  return target;
}

export function makeFlac(source: string, target: string): string {
  execFileSync("flac", ["--silent", "--force", source, "-o", target]);
  return target;
}

/** The usual variants of one clip: 48 kHz stereo WAV (16/24/32-bit and float), MP3, FLAC. */
export function variantsOf(source: string, dir: string): Record<string, string> {
  const base = path.join(dir, path.basename(source, ".wav"));
  return {
    "wav-48k-stereo-16": soxConvert(source, `${base}-48k-s16.wav`, ["-r", "48000", "-c", "2", "-b", "16"]),
    "wav-48k-stereo-24": soxConvert(source, `${base}-48k-s24.wav`, ["-r", "48000", "-c", "2", "-b", "24"]),
    "wav-44k-mono-32": soxConvert(source, `${base}-44k-32.wav`, ["-r", "44100", "-c", "1", "-b", "32"]),
    "wav-22k-float": soxConvert(source, `${base}-22k-f32.wav`, [
      "-r",
      "22050",
      "-e",
      "floating-point",
      "-b",
      "32",
    ]),
    "wav-8k-u8": soxConvert(source, `${base}-8k-u8.wav`, ["-r", "8000", "-e", "unsigned-integer", "-b", "8"]),
    mp3: makeMp3(source, `${base}.mp3`),
    flac: makeFlac(source, `${base}.flac`),
  };
}

/** Yields `bytes` in pieces of the given sizes (cycled), like a network body. */
export async function* inPieces(bytes: Uint8Array, sizes: number[] = [4096]): AsyncIterable<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < bytes.length; i += 1) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

/** Decodes a whole file the way the server does: sniff, decode, downmix, resample to 16 kHz. */
export async function decodeTo16k(
  bytes: Uint8Array,
  options: { contentType?: string; audioConfig?: RequestAudioConfig; pieceSizes?: number[] } = {},
): Promise<Int16Array> {
  const decoder = openAudioDecoder({ contentType: options.contentType, audioConfig: options.audioConfig });
  const parts: Int16Array[] = [];
  for await (const part of toMonoInt16(
    decoder(inPieces(bytes, options.pieceSizes), { signal: new AbortController().signal }),
  )) {
    parts.push(part);
  }
  return joinSamples(parts);
}
