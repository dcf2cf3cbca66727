/** PCM conversions of the page: WAV encode/decode (16-bit mono) and base64 PCM16. */

/** Float samples (−1…1) to 16-bit little-endian PCM bytes. */
export function floatToPcm16(samples: Float32Array): ArrayBuffer {
  const buffer = new ArrayBuffer(samples.length * 2);
  const view = new DataView(buffer);
  for (let i = 0; i < samples.length; i += 1) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
    view.setInt16(i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return buffer;
}

/** 16-bit little-endian PCM bytes to float samples. */
export function pcm16ToFloat(bytes: Uint8Array): Float32Array<ArrayBuffer> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Float32Array(Math.floor(bytes.byteLength / 2));
  for (let i = 0; i < samples.length; i += 1) samples[i] = view.getInt16(i * 2, true) / 0x8000;
  return samples;
}

/** A mono 16-bit WAV file of `samples` at `sampleRateHz`. */
export function encodeWav(samples: Float32Array, sampleRateHz: number): Blob {
  const data = floatToPcm16(samples);
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset: number, value: string) => {
    for (let i = 0; i < value.length; i += 1) header.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, "RIFF");
  header.setUint32(4, 36 + data.byteLength, true);
  text(8, "WAVE");
  text(12, "fmt ");
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true);
  header.setUint16(22, 1, true);
  header.setUint32(24, sampleRateHz, true);
  header.setUint32(28, sampleRateHz * 2, true);
  header.setUint16(32, 2, true);
  header.setUint16(34, 16, true);
  text(36, "data");
  header.setUint32(40, data.byteLength, true);
  return new Blob([header.buffer, data], { type: "audio/wav" });
}

/** The samples of a 16-bit PCM mono WAV file (the server's reply pieces and fillers). */
export function decodeWav(bytes: Uint8Array): { samples: Float32Array<ArrayBuffer>; sampleRateHz: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let sampleRateHz = 16_000;
  while (offset + 8 <= bytes.byteLength) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === "fmt ") sampleRateHz = view.getUint32(offset + 12, true);
    if (id === "data") {
      const end = Math.min(bytes.byteLength, offset + 8 + size);
      return { samples: pcm16ToFloat(bytes.subarray(offset + 8, end)), sampleRateHz };
    }
    offset += 8 + size + (size % 2);
  }
  return { samples: new Float32Array(0), sampleRateHz };
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
