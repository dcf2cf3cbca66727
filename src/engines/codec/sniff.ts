import type { AudioContainer } from "./types.js";

/** The container the first bytes announce, or undefined when they announce none we know. */
export function sniffContainer(head: Uint8Array): AudioContainer | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 12 && (ascii(0, 4) === "RIFF" || ascii(0, 4) === "RF64") && ascii(8, 12) === "WAVE")
    return "wav";
  if (head.length >= 4 && ascii(0, 4) === "fLaC") return "flac";
  if (head.length >= 3 && ascii(0, 3) === "ID3") return "mp3";
  // MPEG audio frame sync: 11 set bits, layer not reserved, bitrate index not 15.
  if (
    head.length >= 4 &&
    head[0] === 0xff &&
    (head[1]! & 0xe0) === 0xe0 &&
    (head[1]! & 0x06) !== 0 &&
    (head[2]! & 0xf0) !== 0xf0
  ) {
    return "mp3";
  }
  return undefined;
}

/** The container a Content-Type names; `octet` for types that say nothing (sniff instead). */
export function containerFromContentType(
  contentType: string | undefined,
): AudioContainer | "octet" | "unsupported" {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "" || type === "application/octet-stream" || type === "audio/*") return "octet";
  if (["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"].includes(type)) return "wav";
  if (["audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3"].includes(type)) return "mp3";
  if (["audio/flac", "audio/x-flac"].includes(type)) return "flac";
  if (["audio/pcm", "audio/l16", "audio/raw", "audio/x-raw"].includes(type)) return "pcm";
  if (type.startsWith("audio/")) return "octet";
  return "unsupported";
}
