import fs from "node:fs";
import { createRequire } from "node:module";
import type { WasmMediaEncoder } from "wasm-media-encoders";

/** The 44-byte RIFF header of a 16-bit mono PCM WAV file holding `dataBytes` of samples. */
export function wavHeader(sampleRateHz: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** A standalone WAV file (RIFF header + 16-bit PCM, mono) holding `samples`. */
export function encodeWavFile(samples: Int16Array, sampleRateHz: number): Uint8Array {
  const file = Buffer.concat([wavHeader(sampleRateHz, samples.length * 2), encodePcm16(samples)]);
  return new Uint8Array(file.buffer, file.byteOffset, file.length);
}

/** Raw little-endian 16-bit PCM bytes of `samples`. */
export function encodePcm16(samples: Int16Array): Uint8Array {
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i += 1) bytes.writeInt16LE(samples[i]!, i * 2);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

let mp3Encoder: Promise<WasmMediaEncoder<"audio/mpeg">> | undefined;

/**
 * LAME compiled to WebAssembly (`wasm-media-encoders`), loaded on first use. One instance serves every
 * piece: `configure` resets it, and a piece is encoded without yielding to the event loop.
 */
function sharedMp3Encoder(): Promise<WasmMediaEncoder<"audio/mpeg">> {
  mp3Encoder ??= (async () => {
    const { createEncoder } = await import("wasm-media-encoders");
    const wasmPath = createRequire(import.meta.url).resolve("wasm-media-encoders/wasm/mp3");
    return createEncoder("audio/mpeg", await fs.promises.readFile(wasmPath));
  })();
  return mp3Encoder;
}

/**
 * Loads the MP3 encoder and runs it until its code is compiled: the first piece a process encodes
 * takes about 85 ms (loading the WebAssembly module), the next few 5–12 ms, then about 4 ms per second
 * of audio (measured on the CI machine). Called at server start, so the first voice reply does not pay it.
 */
export async function warmUpMp3Encoder(): Promise<void> {
  const tone = new Int16Array(16_000).map((_, i) => Math.round(3000 * Math.sin(i / 5)));
  for (let run = 0; run < 4; run += 1) await encodeMp3Piece(tone, 16_000);
}

/** Samples per `encode` call: LAME's input buffer grows to the largest call, so keep calls small. */
const MP3_BLOCK_SAMPLES = 1152 * 8;

/**
 * One MP3 piece: whole MPEG frames from a freshly configured encoder, flushed, so the piece plays alone
 * and pieces concatenated in order form one playable stream. Mono, constant `bitrateKbps` (default 48)
 * at the input rate.
 */
export async function encodeMp3Piece(
  samples: Int16Array,
  sampleRateHz: number,
  bitrateKbps: 48 | 64 | 96 | 128 = 48,
): Promise<Uint8Array> {
  const encoder = await sharedMp3Encoder();
  encoder.configure({ channels: 1, sampleRate: sampleRateHz, bitrate: bitrateKbps });
  const parts: Uint8Array[] = [];
  const block = new Float32Array(MP3_BLOCK_SAMPLES);
  for (let offset = 0; offset < samples.length; offset += MP3_BLOCK_SAMPLES) {
    const count = Math.min(MP3_BLOCK_SAMPLES, samples.length - offset);
    for (let i = 0; i < count; i += 1) block[i] = samples[offset + i]! / 32768;
    // The encoder owns the bytes it returns until its next call: copy them.
    parts.push(encoder.encode([block.subarray(0, count)]).slice());
  }
  parts.push(encoder.finalize().slice());
  return Buffer.concat(parts);
}
