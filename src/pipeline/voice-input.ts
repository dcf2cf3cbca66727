import { decodeUpload } from "../engines/codec/decode-upload.js";
import { AudioFormatError, type PcmChunk, type RequestAudioConfig } from "../engines/codec/types.js";
import { recognizeInParallelPhrases } from "../engines/stt/parallel-phrases.js";
import type { SttEngine, SttEvent } from "../engines/stt/types.js";
import { AppError } from "../lib/app-error.js";
import { characterSimilarity } from "../lib/wer.js";
import type { Recognition } from "../domain/turn-events.js";
import { toMonoInt16 } from "./stages/resample.js";

/**
 * A grammar result is used when it agrees this well with the open-vocabulary result (character-level
 * similarity, so "son of close" still supports "seven of clubs"). A grammar always finds its closest
 * phrase, and its word posteriors are high even for speech outside it, so agreement with the free
 * transcript is the test of confidence.
 */
export const GRAMMAR_MIN_AGREEMENT = 0.5;

/**
 * Sends one PCM stream to several consumers (each gets every chunk, in order). `pump` never rejects: it
 * resolves with the source's error, or undefined. The queues hold what a consumer has not taken yet;
 * the upload's size and duration limits bound them.
 */
function tee(source: AsyncIterable<Int16Array>, count: number, onChunk: (chunk: Int16Array) => void) {
  const queues = Array.from({ length: count }, () => [] as (Int16Array | null)[]);
  const wakers: (() => void)[] = [];
  let failure: unknown;
  const pump = (async (): Promise<unknown> => {
    try {
      for await (const chunk of source) {
        onChunk(chunk);
        for (const queue of queues) queue.push(chunk);
        for (const wake of wakers.splice(0)) wake();
      }
    } catch (error) {
      failure = error;
    }
    for (const queue of queues) queue.push(null);
    for (const wake of wakers.splice(0)) wake();
    return failure;
  })();
  const outputs = queues.map(async function* (queue): AsyncIterable<Int16Array> {
    for (;;) {
      const item = queue.shift();
      if (item === null) {
        if (failure !== undefined)
          throw failure instanceof Error ? failure : new Error("audio stream failed");
        return;
      }
      if (item !== undefined) yield item;
      else await new Promise<void>((resolve) => wakers.push(resolve));
    }
  });
  return { outputs, pump };
}

async function finalOf(events: AsyncIterable<SttEvent>): Promise<Extract<SttEvent, { type: "final" }>> {
  for await (const event of events) if (event.type === "final") return event;
  throw new Error("the recognizer ended without a result");
}

/** Speech needs at least telephone bandwidth: audio sampled more coarsely is refused (415). */
export const MIN_SPEECH_SAMPLE_RATE_HZ = 8000;

/**
 * Refuses audio sampled below {@link MIN_SPEECH_SAMPLE_RATE_HZ} (415) and audio longer than
 * `maxDurationMs` (413), as soon as the decoder shows it: a small file at a low rate can hold hours.
 */
export async function* checkSpeechAudio(
  chunks: AsyncIterable<PcmChunk>,
  maxDurationMs: number,
): AsyncIterable<PcmChunk> {
  let durationMs = 0;
  for await (const chunk of chunks) {
    if (chunk.sampleRateHz < MIN_SPEECH_SAMPLE_RATE_HZ) {
      throw new AudioFormatError(
        `Audio sampled at ${chunk.sampleRateHz} Hz cannot carry speech; at least ${MIN_SPEECH_SAMPLE_RATE_HZ} Hz is needed`,
      );
    }
    durationMs += ((chunk.channels[0]?.length ?? 0) * 1000) / chunk.sampleRateHz;
    if (durationMs > maxDurationMs) {
      throw new AppError("payload_too_large", `The audio is longer than ${maxDurationMs / 1000} s`);
    }
    yield chunk;
  }
}

export type { Recognition } from "../domain/turn-events.js";

export interface RecognizeOptions {
  /** Decoded audio at any rate and channel count, as it arrives. */
  pcm: AsyncIterable<PcmChunk>;
  stt: SttEngine;
  expectedPhrases: string[] | null;
  signal: AbortSignal;
  /** Longest audio accepted, in milliseconds (413 past it). Default: no limit. */
  maxDurationMs?: number;
  /** Told when the grammar recognizer fails (its result is then not used). */
  onGrammarFailure?: (error: unknown) => void;
  /** `performance.now()` when the input's last byte arrived, 0 while it goes on. */
  inputEndedAt?: () => number;
  /** Told each new partial hypothesis (the whole text so far) while the audio arrives. */
  onPartial?: (text: string) => void;
  /**
   * The audio comes as it is spoken (a live microphone): one recognition takes the whole utterance,
   * holding its recognizer place from the first audio to the end, and the engine closes phrases at
   * pauses itself. Split into phrases, each phrase would queue again for a place behind other users'
   * recognitions while its own audio piles up. Default false: phrases run on several cores when the
   * audio comes faster than real time (a clip uploaded whole).
   */
  live?: boolean;
}

/**
 * Recognizes one utterance while its audio arrives. With `expectedPhrases` a grammar recognizer runs
 * beside the open-vocabulary one on the same audio, and its result wins when it is confident.
 * Errors: AudioFormatError (415) below 8 kHz, 413 past `maxDurationMs`, `bad_request` when there is no
 * speech. The first failure of any part (input, open recognizer) stops the others.
 */
export async function recognizeUtterance(options: RecognizeOptions): Promise<Recognition> {
  const controller = new AbortController();
  const stop = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", stop, { once: true });
  if (options.signal.aborted) stop();
  try {
    return await recognize({ ...options, signal: controller.signal }, (error) => controller.abort(error));
  } finally {
    options.signal.removeEventListener("abort", stop);
    controller.abort(new DOMException("The recognition is over", "AbortError"));
  }
}

async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  for await (const item of source) {
    signal.throwIfAborted();
    yield item;
  }
}

async function recognize(options: RecognizeOptions, stopAll: (error: unknown) => void): Promise<Recognition> {
  const { signal } = options;
  const inputEndedAt = options.inputEndedAt ?? (() => 0);
  let samplesDecoded = 0;
  let recognizedMsAtInputEnd = -1;
  const pcm = toMonoInt16(
    checkSpeechAudio(untilAborted(options.pcm, signal), options.maxDurationMs ?? Number.POSITIVE_INFINITY),
  );
  const useGrammar =
    options.expectedPhrases !== null &&
    options.expectedPhrases.length > 0 &&
    options.stt.capabilities.grammars;
  const { outputs, pump } = tee(pcm, useGrammar ? 2 : 1, (chunk) => {
    samplesDecoded += chunk.length;
  });
  let heardMs = 0;
  const open = (async () => {
    const parallelism = options.stt.capabilities.parallelism ?? 1;
    const events =
      parallelism > 1 && options.live !== true
        ? recognizeInParallelPhrases(options.stt, outputs[0]!, { signal, parallelism })
        : options.stt.recognize(outputs[0]!, { signal });
    for await (const event of events) {
      if (inputEndedAt() > 0 && recognizedMsAtInputEnd < 0) recognizedMsAtInputEnd = heardMs;
      // A partial result means the recognizer has worked through the audio decoded so far.
      if (event.type === "partial") {
        heardMs = samplesDecoded / 16;
        options.onPartial?.(event.text);
      }
      if (event.type === "final") return event;
    }
    throw new Error("the recognizer ended without a result");
  })();
  const grammar = useGrammar
    ? finalOf(
        options.stt.recognize(outputs[1]!, { signal, expectedPhrases: options.expectedPhrases ?? [] }),
      ).catch((error: unknown) => {
        if (!signal.aborted) options.onGrammarFailure?.(error);
        return undefined;
      })
    : Promise.resolve(undefined);
  // Handlers are attached to every part at once: a part that fails early stops the others.
  const [pumpFailure, openFinal, grammarFinal] = await Promise.all([
    pump,
    open.catch((error: unknown) => {
      stopAll(error);
      throw error;
    }),
    grammar,
  ]);
  if (pumpFailure !== undefined) {
    throw pumpFailure instanceof Error ? pumpFailure : new Error("the audio stream failed");
  }
  const transcriptAt = performance.now();
  const agreement = grammarFinal === undefined ? 0 : characterSimilarity(grammarFinal.text, openFinal.text);
  const grammarConfident =
    grammarFinal !== undefined && grammarFinal.text !== "" && agreement >= GRAMMAR_MIN_AGREEMENT;
  const text = (grammarConfident ? grammarFinal.text : openFinal.text).trim();
  if (text === "") throw new AppError("bad_request", "No speech was recognized in the audio");
  return {
    text,
    audioMs: samplesDecoded / 16,
    mode: grammarConfident ? "grammar" : "open",
    grammarConfidence: grammarFinal === undefined ? undefined : agreement,
    openText: openFinal.text,
    grammarText: grammarFinal?.text,
    transcriptAt,
    recognizedMsAtInputEnd: recognizedMsAtInputEnd < 0 ? heardMs : recognizedMsAtInputEnd,
    inputEndedAt: inputEndedAt(),
    engine: openFinal.engine ?? options.stt.name,
  };
}

export interface TranscribedUpload extends Recognition {
  /** The upload as received. */
  audio: Uint8Array;
}

/** Decodes and recognizes an upload while it arrives (decodeUpload, then recognizeUtterance). */
export async function transcribeUpload(options: {
  body: AsyncIterable<Uint8Array>;
  contentType: string | undefined;
  audioConfig: RequestAudioConfig | undefined;
  stt: SttEngine;
  expectedPhrases: string[] | null;
  signal: AbortSignal;
  maxDurationMs?: number;
  onGrammarFailure?: (error: unknown) => void;
}): Promise<TranscribedUpload> {
  const upload = decodeUpload(options);
  const recognition = await recognizeUtterance({
    ...options,
    pcm: upload.pcm,
    inputEndedAt: () => upload.endedAt(),
  });
  return { ...recognition, audio: upload.bytes() };
}
