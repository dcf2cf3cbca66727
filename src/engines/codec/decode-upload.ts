import { openAudioDecoder } from "./open-decoder.js";
import type { PcmChunk, RequestAudioConfig } from "./types.js";

/** An upload's bytes decoded as they arrive, with the bytes kept (a voice message's source). */
export interface DecodedUpload {
  pcm: AsyncIterable<PcmChunk>;
  /** The bytes received so far (all of them once `pcm` has ended). */
  bytes(): Uint8Array;
  /** `performance.now()` when the last byte arrived, or 0 while the upload goes on. */
  endedAt(): number;
}

/** Decodes an upload (WAV, MP3, FLAC, raw PCM by `audioConfig`) while keeping its bytes. */
export function decodeUpload(options: {
  body: AsyncIterable<Uint8Array>;
  contentType: string | undefined;
  audioConfig: RequestAudioConfig | undefined;
  signal: AbortSignal;
}): DecodedUpload {
  const received: Uint8Array[] = [];
  let endedAt = 0;
  async function* recordBody(): AsyncIterable<Uint8Array> {
    for await (const piece of options.body) {
      received.push(piece);
      yield piece;
    }
    endedAt = performance.now();
  }
  const decoder = openAudioDecoder({ contentType: options.contentType, audioConfig: options.audioConfig });
  return {
    pcm: decoder(recordBody(), { signal: options.signal }),
    bytes: () => Buffer.concat(received),
    endedAt: () => endedAt,
  };
}
