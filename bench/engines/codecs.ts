import fs from "node:fs";
import { encodeMp3Piece, encodeWavFile } from "../../src/engines/codec/encoders.js";
import { decodeTo16k, fixtureDir, makeFlac, makeMp3, soxConvert } from "../../test/helpers/audio-fixtures.js";
import { librivoxClips, readPcm16Wav } from "../../test/helpers/speech-corpus.js";
import { type BenchRow, median, printRows, rssMb } from "./common.js";

/** Decode and encode speed as multiples of real time (audio seconds per wall second). */
export async function benchCodecs(): Promise<BenchRow[]> {
  const clip = librivoxClips()[0]!;
  const audioS = readPcm16Wav(clip.wavPath).samples.length / 16_000;
  const dir = fixtureDir();
  const files: Record<string, [string, string]> = {
    "wav 16k mono": [clip.wavPath, "audio/wav"],
    "wav 48k stereo 24-bit": [
      soxConvert(clip.wavPath, `${dir}/a.wav`, ["-r", "48000", "-c", "2", "-b", "24"]),
      "audio/wav",
    ],
    mp3: [makeMp3(clip.wavPath, `${dir}/a.mp3`), "audio/mpeg"],
    flac: [makeFlac(clip.wavPath, `${dir}/a.flac`), "audio/flac"],
  };
  const rows: BenchRow[] = [];
  for (const [name, [file, contentType]] of Object.entries(files)) {
    const bytes = fs.readFileSync(file);
    await decodeTo16k(bytes, { contentType });
    const timesMs: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const started = performance.now();
      await decodeTo16k(bytes, { contentType, pieceSizes: [16_384] });
      timesMs.push(performance.now() - started);
    }
    rows.push({
      engine: "decode",
      metric: `${name} → 16 kHz mono`,
      value: audioS / (median(timesMs) / 1000),
      unit: "× real time",
    });
  }
  const samples = readPcm16Wav(clip.wavPath).samples;
  for (const [name, encode] of [
    ["wav", () => encodeWavFile(samples, 16_000)],
    ["mp3 48 kbps", () => encodeMp3Piece(samples, 16_000)],
  ] as const) {
    await encode();
    const started = performance.now();
    for (let i = 0; i < 5; i += 1) await encode();
    rows.push({
      engine: "encode",
      metric: name,
      value: audioS / ((performance.now() - started) / 5 / 1000),
      unit: "× real time",
    });
  }
  rows.push({ engine: "codecs", metric: "process memory (rss)", value: rssMb(), unit: "MB" });
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printRows(await benchCodecs());
