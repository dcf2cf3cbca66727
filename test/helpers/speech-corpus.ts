import fs from "node:fs";
import path from "node:path";
import { median } from "../../src/lib/median.js";

/** Debian `pocketsphinx-testdata`: read speech with transcripts (16 kHz, mono, 16-bit WAV). */
export const TESTDATA_DIR = "/usr/share/pocketsphinx/test/data";

export interface SpeechClip {
  id: string;
  wavPath: string;
  transcript: string;
}

function transcripts(file: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const match = /^(.*)\(([^)]+)\)\s*$/.exec(line.trim());
    if (match === null) continue;
    map.set(
      match[2]!,
      match[1]!
        .replace(/<\/?s>/g, "")
        .replace(/\s+/g, " ")
        .trim(),
    );
  }
  return map;
}

/** The LibriVox clips (read English prose, 3–7 s each). */
export function librivoxClips(): SpeechClip[] {
  const dir = path.join(TESTDATA_DIR, "librivox");
  return [...transcripts(path.join(dir, "transcription"))].map(([id, transcript]) => ({
    id,
    wavPath: path.join(dir, `${id}.wav`),
    transcript,
  }));
}

/** The `cards` clips (playing cards read out), with the JSGF grammar they were recorded for. */
export function cardsClips(): SpeechClip[] {
  const dir = path.join(TESTDATA_DIR, "cards");
  return [...transcripts(path.join(dir, "cards.transcription"))].map(([id, transcript]) => ({
    id,
    wavPath: path.join(dir, `${id}.wav`),
    transcript,
  }));
}

export function cardsGrammar(): string {
  return fs.readFileSync(path.join(TESTDATA_DIR, "cards", "cards.gram"), "utf8");
}

/** The samples of a 16-bit PCM WAV file (reads the RIFF chunks; for the corpus files only). */
export function readPcm16Wav(wavPath: string): { samples: Int16Array; sampleRateHz: number } {
  const bytes = fs.readFileSync(wavPath);
  let offset = 12;
  let sampleRateHz = 16_000;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === "fmt ") sampleRateHz = bytes.readUInt32LE(offset + 12);
    if (id === "data") {
      const end = Math.min(bytes.length, offset + 8 + size);
      const data = bytes.subarray(offset + 8, end - ((end - offset - 8) % 2));
      const samples = new Int16Array(data.length / 2);
      for (let i = 0; i < samples.length; i += 1) samples[i] = data.readInt16LE(i * 2);
      return { samples, sampleRateHz };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${wavPath} has no data chunk`);
}

/** Splits samples into chunks of `chunkSamples`, as an async stream (like audio arriving). */
export async function* chunked(samples: Int16Array, chunkSamples = 1600): AsyncIterable<Int16Array> {
  for (let i = 0; i < samples.length; i += chunkSamples) yield samples.slice(i, i + chunkSamples);
}

/** Two or more clips joined by `silenceMs` of silence, with the joined transcript and where each starts. */
export function clipsWithPauses(
  clips: SpeechClip[],
  silenceMs: number,
): { samples: Int16Array; transcript: string; startsMs: number[] } {
  const parts = clips.map((clip) => readPcm16Wav(clip.wavPath).samples);
  const silenceSamples = silenceMs * 16;
  const samples = new Int16Array(
    parts.reduce((n, p) => n + p.length, 0) + silenceSamples * (parts.length - 1),
  );
  const startsMs: number[] = [];
  let offset = 0;
  for (const part of parts) {
    startsMs.push(offset / 16);
    samples.set(part, offset);
    offset += part.length + silenceSamples;
  }
  return { samples, transcript: clips.map((c) => c.transcript).join(" "), startsMs };
}

/**
 * Where speech really is in a clip: the first and last run of three 10 ms frames clearly above the
 * recording's own noise floor (2.5 × the median level of its first, respectively last, 100 ms).
 */
export function speechExtentMs(samples: Int16Array): { startMs: number; endMs: number } {
  const rms: number[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let sum = 0;
    for (let j = i; j < i + 160; j += 1) sum += samples[j]! * samples[j]!;
    rms.push(Math.sqrt(sum / 160));
  }
  const peak = Math.max(...rms);
  const startLimit = Math.max(2.5 * median(rms.slice(0, 10)), 0.04 * peak);
  const endLimit = Math.max(2.5 * median(rms.slice(-10)), 0.04 * peak);
  const loud = (i: number, limit: number) => rms[i]! > limit && rms[i + 1]! > limit && rms[i + 2]! > limit;
  let first = 0;
  while (first < rms.length - 3 && !loud(first, startLimit)) first += 1;
  let last = rms.length - 3;
  while (last > first && !loud(last, endLimit)) last -= 1;
  return { startMs: first * 10, endMs: (last + 3) * 10 };
}
