import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { encodeMp3Piece, encodeWavFile, warmUpMp3Encoder } from "../../src/engines/codec/encoders.js";
import { AudioFormatError } from "../../src/engines/codec/types.js";
import { decodeTo16k, fixtureDir, variantsOf } from "../helpers/audio-fixtures.js";
import { librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";

const clip = librivoxClips()[1]!;
const original = readPcm16Wav(clip.wavPath).samples;
const dir = fixtureDir();
const variants = variantsOf(clip.wavPath, dir);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const contentTypes: Record<string, string> = { mp3: "audio/mpeg", flac: "audio/flac" };
const durationS = (samples: Int16Array) => samples.length / 16_000;

function correlation(a: Int16Array, b: Int16Array): number {
  const n = Math.min(a.length, b.length);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i += 1) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

describe("audio decoders", () => {
  it.each(Object.entries(variants))("decode %s to 16 kHz mono of the right length", async (name, file) => {
    const bytes = fs.readFileSync(file);
    const decoded = await decodeTo16k(bytes, { contentType: contentTypes[name] ?? "audio/wav" });
    // MP3 adds encoder delay and padding (under 0.1 s); the others keep the length within a few samples.
    expect(Math.abs(durationS(decoded) - durationS(original))).toBeLessThan(name === "mp3" ? 0.12 : 0.005);
    if (name.startsWith("wav") || name === "flac")
      expect(correlation(decoded, original)).toBeGreaterThan(0.95);
  });

  it.each(["wav-48k-stereo-24", "flac", "mp3"])(
    "give the same PCM for %s however the bytes are split",
    async (name) => {
      const bytes = fs.readFileSync(variants[name]!);
      const whole = await decodeTo16k(bytes, { pieceSizes: [bytes.length] });
      const tiny = await decodeTo16k(bytes, { pieceSizes: [1, 2, 3, 5, 7] });
      const mixed = await decodeTo16k(bytes, { pieceSizes: [17, 4096, 333, 1] });
      expect(Array.from(tiny)).toEqual(Array.from(whole));
      expect(Array.from(mixed)).toEqual(Array.from(whole));
    },
  );

  it("sniffs the container when the content type is wrong or missing", async () => {
    const mp3 = fs.readFileSync(variants.mp3!);
    expect(durationS(await decodeTo16k(mp3, { contentType: "audio/wav" }))).toBeGreaterThan(2.5);
    expect(durationS(await decodeTo16k(mp3, { contentType: "application/octet-stream" }))).toBeGreaterThan(
      2.5,
    );
    const flac = fs.readFileSync(variants.flac!);
    expect(durationS(await decodeTo16k(flac, { contentType: "audio/mpeg" }))).toBeGreaterThan(2.5);
  });

  it("decodes raw PCM described by request_audio_config", async () => {
    const wav = fs.readFileSync(variants["wav-48k-stereo-16"]!);
    const data = wav.subarray(wav.indexOf("data") + 8);
    const decoded = await decodeTo16k(data, {
      contentType: "audio/pcm",
      audioConfig: { type: "pcm", frame_rate: 44_100, n_channels: 2, sample_width: 2 },
      pieceSizes: [1001],
    });
    // Declared at 44.1 kHz although recorded at 48 kHz: the length follows the declaration.
    expect(durationS(decoded)).toBeCloseTo(data.length / 4 / 44_100, 1);
  });

  it("reads a streamed WAV whose header gives no data length", async () => {
    const wav = Buffer.from(encodeWavFile(original, 16_000));
    wav.writeUInt32LE(0xffffffff, 4);
    wav.writeUInt32LE(0xffffffff, 40);
    expect((await decodeTo16k(wav)).length).toBe(original.length);
    wav.writeUInt32LE(0, 40);
    expect((await decodeTo16k(wav)).length).toBe(original.length);
  });
});

describe("audio encoders", () => {
  it("write WAV files that decode to the same samples", async () => {
    const decoded = await decodeTo16k(encodeWavFile(original, 16_000));
    expect(Array.from(decoded)).toEqual(Array.from(original));
  });

  it("write MP3 pieces that play alone and concatenated", async () => {
    const half = Math.floor(original.length / 2);
    const first = await encodeMp3Piece(original.subarray(0, half), 16_000);
    const second = await encodeMp3Piece(original.subarray(half), 16_000);
    const firstAlone = await decodeTo16k(first);
    expect(Math.abs(durationS(firstAlone) - half / 16_000)).toBeLessThan(0.15);
    const both = await decodeTo16k(Buffer.concat([first, second]));
    expect(Math.abs(durationS(both) - durationS(original))).toBeLessThan(0.3);
  });

  it("encode a piece the same way after the server's warm-up of the MP3 encoder", async () => {
    const piece = original.subarray(0, 16_000);
    const before = await encodeMp3Piece(piece, 16_000);
    await warmUpMp3Encoder();
    expect(Buffer.from(await encodeMp3Piece(piece, 16_000))).toEqual(Buffer.from(before));
  });
});

describe("bad audio", () => {
  const wav = Buffer.from(fs.readFileSync(clip.wavPath));
  const mp3 = fs.readFileSync(variants.mp3!);
  const flac = fs.readFileSync(variants.flac!);
  let seed = 42;
  const random = (length: number) => {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i += 1) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    return bytes;
  };
  const withHeader = (patch: (b: Buffer) => void) => {
    const copy = Buffer.from(wav.subarray(0, 4000));
    patch(copy);
    return copy;
  };

  const cases: [string, Uint8Array, string | undefined][] = [
    ["empty", Buffer.alloc(0), "audio/wav"],
    ["header only", wav.subarray(0, 44), "audio/wav"],
    ["zero channels", withHeader((b) => b.writeUInt16LE(0, 22)), "audio/wav"],
    ["absurd rate", withHeader((b) => b.writeUInt32LE(1_000_000_000, 24)), "audio/wav"],
    ["12-bit samples", withHeader((b) => b.writeUInt16LE(12, 34)), "audio/wav"],
    ["a-law", withHeader((b) => b.writeUInt16LE(6, 20)), "audio/wav"],
    ["bad block align", withHeader((b) => b.writeUInt16LE(3, 32)), "audio/wav"],
    ["huge fmt chunk", withHeader((b) => b.writeUInt32LE(0x7fffffff, 16)), "audio/wav"],
    ["text labelled wav", Buffer.from("hello, this is not audio at all"), "audio/wav"],
    ["json labelled mpeg", Buffer.from('{"message":"hi"}'), "audio/mpeg"],
    ["video content type", wav, "video/mp4"],
    ["raw pcm without config", random(3200), "audio/pcm"],
  ];
  for (let i = 0; i < 16; i += 1)
    cases.push([
      `random ${i}`,
      random(64 + i * 997),
      ["audio/wav", "audio/mpeg", "audio/flac", undefined][i % 4],
    ]);
  for (const cut of [10, 30, 43, 1000, 20_000])
    cases.push([`wav cut at ${cut}`, wav.subarray(0, cut), "audio/wav"]);
  for (const cut of [3, 50, 400]) cases.push([`mp3 cut at ${cut}`, mp3.subarray(0, cut), "audio/mpeg"]);
  for (const cut of [4, 20, 41, 200, 3000])
    cases.push([`flac cut at ${cut}`, flac.subarray(0, cut), "audio/flac"]);
  for (let i = 0; i < 5; i += 1)
    cases.push([
      `mp3 magic then noise ${i}`,
      Buffer.concat([Buffer.from("ID3"), random(2000 + i * 5000)]),
      "audio/mpeg",
    ]);
  for (let i = 0; i < 5; i += 1)
    cases.push([
      `flac magic then noise ${i}`,
      Buffer.concat([Buffer.from("fLaC"), random(500 + i * 3000)]),
      "audio/flac",
    ]);
  for (let i = 0; i < 4; i += 1)
    cases.push([
      `riff then noise ${i}`,
      Buffer.concat([Buffer.from("RIFF\0\0\0\0WAVE"), random(100 + i * 400)]),
      undefined,
    ]);

  it("has at least 50 cases", () => expect(cases.length).toBeGreaterThanOrEqual(50));

  // What broke: random bytes labelled audio/mpeg held chance frame syncs that decoded to noise, which
  // the recognizer turned into words, and the "message" was stored.
  it("refuses random bytes labelled MP3 even when chance frame syncs decode", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      let state = seed * 7919;
      const bytes = Uint8Array.from(
        { length: 200_000 },
        () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24,
      );
      await expect(decodeTo16k(bytes, { contentType: "audio/mpeg" })).rejects.toBeInstanceOf(
        AudioFormatError,
      );
    }
  });

  // Short random bodies hold only a few chance frames; these seeds give some that decode, with at least
  // as many broken frames beside them, which only the end-of-stream check refuses. (Random bytes can
  // also hold a chance frame with no broken one beside it: that decodes, as a real frame would.)
  it("refuses short random bytes labelled MP3 whose chance frames are matched by broken ones", async () => {
    for (const seed of [16, 23, 38, 53, 69, 76, 106, 113, 143, 157, 165, 180, 187, 195]) {
      let state = seed * 7919;
      const length = 1000 + ((seed * 7919) % 59_000);
      const bytes = Uint8Array.from({ length }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
      await expect(decodeTo16k(bytes, { contentType: "audio/mpeg" })).rejects.toBeInstanceOf(
        AudioFormatError,
      );
    }
  });

  it.each(cases)("%s is rejected with a typed error", async (_name, bytes, contentType) => {
    const error = await decodeTo16k(bytes, contentType === undefined ? {} : { contentType }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AudioFormatError);
    expect([400, 415]).toContain((error as AudioFormatError).httpStatus);
  });
});
