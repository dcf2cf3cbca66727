import { Mp3Encoder } from "@breezystack/lamejs";

/** A standalone WAV file (RIFF header + 16-bit PCM, mono) holding `samples`. */
export function encodeWavFile(samples: Int16Array, sampleRateHz: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const file = Buffer.alloc(44 + dataBytes);
  file.write("RIFF", 0, "ascii");
  file.writeUInt32LE(36 + dataBytes, 4);
  file.write("WAVE", 8, "ascii");
  file.write("fmt ", 12, "ascii");
  file.writeUInt32LE(16, 16);
  file.writeUInt16LE(1, 20);
  file.writeUInt16LE(1, 22);
  file.writeUInt32LE(sampleRateHz, 24);
  file.writeUInt32LE(sampleRateHz * 2, 28);
  file.writeUInt16LE(2, 32);
  file.writeUInt16LE(16, 34);
  file.write("data", 36, "ascii");
  file.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i += 1) file.writeInt16LE(samples[i]!, 44 + i * 2);
  return new Uint8Array(file.buffer, file.byteOffset, file.length);
}

/** Raw little-endian 16-bit PCM bytes of `samples`. */
export function encodePcm16(samples: Int16Array): Uint8Array {
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i += 1) bytes.writeInt16LE(samples[i]!, i * 2);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * One MP3 piece: whole MPEG frames from a fresh encoder, flushed, so the piece plays alone and pieces
 * concatenated in order form one playable stream. Mono, `bitrateKbps` (default 48) at the input rate.
 */
export function encodeMp3Piece(samples: Int16Array, sampleRateHz: number, bitrateKbps = 48): Uint8Array {
  const encoder = new Mp3Encoder(1, sampleRateHz, bitrateKbps);
  const parts: Uint8Array[] = [];
  const blockSamples = 1152 * 8;
  for (let i = 0; i < samples.length; i += blockSamples) {
    const encoded = encoder.encodeBuffer(samples.subarray(i, i + blockSamples));
    if (encoded.length > 0) parts.push(new Uint8Array(encoded));
  }
  const tail = encoder.flush();
  if (tail.length > 0) parts.push(new Uint8Array(tail));
  return Buffer.concat(parts);
}
