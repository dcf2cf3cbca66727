import { decodeFlac, decodeMp3 } from "./compressed-decoders.js";
import { pcmDecoder } from "./pcm-decoder.js";
import { containerFromContentType, sniffContainer } from "./sniff.js";
import {
  type AudioContainer,
  type AudioDecoder,
  AudioFormatError,
  type PcmChunk,
  type RequestAudioConfig,
} from "./types.js";
import { decodeWav } from "./wav-decoder.js";

const SNIFF_BYTES = 12;

/** Pulls the first bytes of a stream for sniffing, and gives back a stream that still starts with them. */
async function peek(
  input: AsyncIterable<Uint8Array>,
): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const iterator = input[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    held.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(held);
  async function* stream(): AsyncIterable<Uint8Array> {
    if (head.length > 0) yield head;
    if (done) return;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  return { head, stream: stream() };
}

function decoderFor(container: AudioContainer, audioConfig: RequestAudioConfig | undefined): AudioDecoder {
  switch (container) {
    case "wav":
      return decodeWav;
    case "mp3":
      return decodeMp3;
    case "flac":
      return decodeFlac;
    case "pcm":
      if (audioConfig?.type !== "pcm") {
        throw new AudioFormatError(
          "Raw PCM needs request_audio_config with frame_rate, n_channels and sample_width",
          "bad_request",
        );
      }
      return pcmDecoder(audioConfig);
  }
}

/**
 * Picks the decoder for an upload: container magic bytes win (a WAV labelled audio/mpeg is decoded as
 * WAV); without them the Content-Type (which must be an audio type or octet-stream) or `request_audio_config` decides; raw PCM needs the config.
 */
export function openAudioDecoder(options: {
  contentType?: string | undefined;
  audioConfig?: RequestAudioConfig | undefined;
}): AudioDecoder {
  return async function* decode(input, { signal }): AsyncIterable<PcmChunk> {
    const { head, stream } = await peek(input);
    if (head.length === 0) throw new AudioFormatError("The audio is empty", "bad_request");
    const sniffed = sniffContainer(head);
    const declared = containerFromContentType(options.contentType);
    let container: AudioContainer;
    if (declared === "unsupported")
      throw new AudioFormatError(`Content-Type ${options.contentType ?? ""} is not audio`);
    if (sniffed !== undefined) container = sniffed;
    else if (options.audioConfig?.type === "pcm") container = "pcm";
    else if (options.audioConfig?.type === "mp3") container = "mp3";
    else if (declared === "octet") throw new AudioFormatError("The audio format could not be recognized");
    else container = declared;
    yield* decoderFor(container, options.audioConfig)(stream, { signal });
  };
}
