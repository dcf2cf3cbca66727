import fs from "node:fs";
import path from "node:path";
import { fixtureDir, makeFlac, makeMp3 } from "../helpers/audio-fixtures.js";
import { cardsClips } from "../helpers/speech-corpus.js";

/** One part of a multipart body; `filename` makes it a file part. */
export interface Part {
  name: string;
  value: string | Buffer;
  filename?: string;
  contentType?: string;
}

export function multipartBody(boundary: string, parts: Part[], options: { close?: boolean } = {}): Buffer {
  const pieces: Buffer[] = [];
  // Text is gathered into one string between binary values (thousands of small parts stay cheap).
  let text = "";
  for (const part of parts) {
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) text += `; filename="${part.filename}"`;
    text += "\r\n";
    if (part.contentType !== undefined) text += `Content-Type: ${part.contentType}\r\n`;
    text += "\r\n";
    if (typeof part.value === "string") {
      text += part.value;
    } else {
      pieces.push(Buffer.from(text), part.value);
      text = "";
    }
    text += "\r\n";
  }
  if (options.close !== false) text += `--${boundary}--\r\n`;
  pieces.push(Buffer.from(text));
  return Buffer.concat(pieces);
}

/** The text interact form: a user message, as the spec's multipart body. */
export function textForm(boundary: string, message: string, extra: Part[] = []): Buffer {
  return multipartBody(boundary, [
    { name: "initial_message_type", value: "user-message" },
    { name: "recorded_message", value: message },
    ...extra,
  ]);
}

/** A voice note as a multipart body with the recording as its file part. */
export function voiceForm(
  boundary: string,
  audio: Buffer,
  contentType = "audio/wav",
  extra: Part[] = [],
): Buffer {
  return multipartBody(boundary, [
    ...extra,
    { name: "recorded_message", value: audio, filename: "note.wav", contentType },
  ]);
}

/** A canonical 44-byte WAV header (PCM integer samples). `dataBytes` may lie (0xffffffff: streaming). */
export function wavHeader(options: {
  sampleRateHz: number;
  channels?: number;
  bitsPerSample?: number;
  dataBytes: number;
  formatTag?: number;
  blockAlign?: number;
  fmtSize?: number;
}): Buffer {
  const channels = options.channels ?? 1;
  const bits = options.bitsPerSample ?? 16;
  const blockAlign = options.blockAlign ?? (channels * bits) / 8;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(Math.min(0xffffffff, options.dataBytes + 36), 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(options.fmtSize ?? 16, 16);
  header.writeUInt16LE(options.formatTag ?? 1, 20);
  header.writeUInt16LE(channels & 0xffff, 22);
  header.writeUInt32LE(options.sampleRateHz >>> 0, 24);
  header.writeUInt32LE((options.sampleRateHz * blockAlign) >>> 0, 28);
  header.writeUInt16LE(blockAlign & 0xffff, 32);
  header.writeUInt16LE(bits & 0xffff, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(options.dataBytes >>> 0, 40);
  return header;
}

/** `durationMs` of silence as a 16-bit mono WAV. */
export function silenceWav(durationMs: number, sampleRateHz = 16_000): Buffer {
  const dataBytes = Math.round((durationMs * sampleRateHz) / 1000) * 2;
  return Buffer.concat([wavHeader({ sampleRateHz, dataBytes }), Buffer.alloc(dataBytes)]);
}

/** A quiet hum (not speech, not digital silence) as 16-bit samples, `durationMs` long. */
export function humSamples(durationMs: number, sampleRateHz: number): Buffer {
  const count = Math.round((durationMs * sampleRateHz) / 1000);
  const out = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i += 1) {
    out.writeInt16LE(Math.round(200 * Math.sin((2 * Math.PI * 50 * i) / sampleRateHz)), i * 2);
  }
  return out;
}

/** Real speech (a one-second clip from the PocketSphinx test data: cheap to recognize) as WAV, MP3 and FLAC. */
export interface SpeechFixtures {
  wav: Buffer;
  mp3: Buffer;
  flac: Buffer;
  cleanup(): void;
}

export function speechFixtures(): SpeechFixtures {
  const clip = cardsClips()[0]!;
  const dir = fixtureDir();
  return {
    wav: fs.readFileSync(clip.wavPath),
    mp3: fs.readFileSync(makeMp3(clip.wavPath, path.join(dir, "speech.mp3"))),
    flac: fs.readFileSync(makeFlac(clip.wavPath, path.join(dir, "speech.flac"))),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Ordinary English words, `bytes` long: a few hundred picked words, repeated (cheap to make, so that the
 * client never pauses mid-upload while it builds a body).
 */
export function wordsOfLength(bytes: number, pick: (words: readonly string[]) => string): string {
  const words = ["my", "ankle", "hurts", "since", "monday", "and", "I", "would", "like", "to", "see", "a"];
  const phrase = `${Array.from({ length: 400 }, () => pick(words)).join(" ")} `;
  return phrase.repeat(Math.ceil(bytes / phrase.length)).slice(0, bytes);
}
