import type { SttEngine } from "../../src/engines/stt/types.js";
import { decodeTo16k } from "./audio-fixtures.js";
import type { StreamEvent } from "./http-client.js";
import { chunked } from "./speech-corpus.js";

/** One spoken piece of a reply as a client receives it (a `new-message` event with audio). */
export interface ReceivedPiece {
  /** The piece's own audio file (MP3 or WAV), as sent. */
  bytes: Buffer;
  /** The audio decoded the way the server decodes uploads: mono, 16 kHz. */
  samples: Int16Array;
  durationMs: number;
  /** `[ms from the start of the reply's audio, character]`, as sent. */
  alignment: [number, string][];
  /** The text the piece speaks (its alignment's characters). */
  text: string;
}

/** Decodes the audio pieces (`new-message` events) of a voice reply, each on its own. */
export async function receivePieces(pieces: StreamEvent[], contentType: string): Promise<ReceivedPiece[]> {
  const received: ReceivedPiece[] = [];
  for (const piece of pieces) {
    const bytes = Buffer.from(piece.message as string, "base64");
    const samples = await decodeTo16k(bytes, { contentType });
    const alignment = piece.transcript_alignment as [number, string][];
    received.push({
      bytes,
      samples,
      durationMs: (samples.length * 1000) / 16_000,
      alignment,
      text: alignment.map(([, character]) => character).join(""),
    });
  }
  return received;
}

export { joinSamples } from "../../src/lib/samples.js";

/** The recognizer's final transcript of 16 kHz mono samples ("" when it heard no words). */
export async function transcribe(stt: SttEngine, samples: Int16Array): Promise<string> {
  let text = "";
  for await (const event of stt.recognize(chunked(samples), { signal: new AbortController().signal })) {
    if (event.type === "final") text = event.text;
  }
  return text;
}

/** The samples of a 16-bit PCM WAV file held in memory (walks the RIFF chunks to `data`). */
export function pcm16OfWav(bytes: Buffer): { samples: Int16Array; sampleRateHz: number; channels: number } {
  if (bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a WAV file");
  }
  let offset = 12;
  let format: { sampleRateHz: number; channels: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString("ascii", offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === "fmt ") {
      format = {
        channels: bytes.readUInt16LE(offset + 10),
        sampleRateHz: bytes.readUInt32LE(offset + 12),
        bits: bytes.readUInt16LE(offset + 22),
      };
    }
    if (id === "data") {
      if (format?.bits !== 16) throw new Error("not a 16-bit PCM WAV file");
      const data = bytes.subarray(offset + 8, Math.min(bytes.length, offset + 8 + size));
      const samples = new Int16Array(Math.floor(data.length / 2));
      for (let i = 0; i < samples.length; i += 1) samples[i] = data.readInt16LE(i * 2);
      return { samples, sampleRateHz: format.sampleRateHz, channels: format.channels };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error("the WAV file has no data chunk");
}

/** True when two sample arrays hold the same samples (cheap to report, unlike a deep-equality diff). */
export function sameSamples(a: Int16Array, b: Int16Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
