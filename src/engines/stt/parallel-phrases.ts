import { AsyncQueue } from "../../lib/async-queue.js";
import { PauseSplitter } from "./pause-splitter.js";
import { SessionEvents } from "./pocketsphinx/session-events.js";
import type { RecognizedWord, SttEngine, SttEvent, SttOptions } from "./types.js";

const SAMPLES_PER_MS = 16;
/**
 * A later phrase starts beside a running one only when the audio came this far ahead of real time
 * (ms): a whole clip uploaded at once. Audio that comes as it is spoken is recognized as fast as it
 * comes by one recognizer, so its phrases take turns on one place (and one decoder).
 */
const AHEAD_OF_REAL_TIME_MS = 500;

type FinalEvent = Extract<SttEvent, { type: "final" }>;

interface Phrase {
  /** Where the phrase's first sample lies in the stream. */
  startSample: number;
  audio: AsyncQueue<Int16Array>;
  /** The latest text: the final one once known. */
  text: string;
  final: FinalEvent | undefined;
}

/**
 * Recognizes open-vocabulary speech phrase by phrase, up to `parallelism` phrases at once, each as an
 * recognition of its own on `stt`: when the audio comes faster than one recognizer works (a whole clip
 * uploaded at once), its phrases are recognized on several cores. The audio is split at pauses
 * ({@link PauseSplitter}, a function of the samples only, so the same audio gives the same phrases
 * however fast it comes and however busy the engine is); words and timings are joined in order, timings
 * from the start of the stream. Partial events carry the text so far of every phrase in order.
 *
 * Fairness: each phrase takes its recognizer place like any recognition (the engine's FIFO wait, its
 * bound and its 503), one phrase after the other in order, and one utterance holds at most
 * `parallelism` places, so a long clip queues behind other users between its phrases. Phrases run side
 * by side only while the audio is ahead of real time (AHEAD_OF_REAL_TIME_MS); live audio uses one
 * place at a time. A phrase waiting
 * for its turn keeps its audio; the upload's own size and duration limits bound it. The first failure
 * of any phrase (or of the audio) aborts the others and ends the recognition with it.
 */
export async function* recognizeInParallelPhrases(
  stt: SttEngine,
  audio: AsyncIterable<Int16Array>,
  options: SttOptions & { parallelism: number },
): AsyncIterable<SttEvent> {
  const controller = new AbortController();
  const stop = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", stop, { once: true });
  if (options.signal.aborted) stop();
  const signal = controller.signal;
  const events = new SessionEvents();
  const phrases: Phrase[] = [];
  let started = 0;
  let running = 0;
  let audioOver = false;
  let firstAudioAt = 0;
  let receivedSamples = 0;
  const aheadOfRealTime = () =>
    receivedSamples / SAMPLES_PER_MS - (performance.now() - firstAudioAt) > AHEAD_OF_REAL_TIME_MS;
  const fail = (error: unknown) => {
    events.fail(error);
    controller.abort(error);
  };
  const partial = () => events.push({ type: "partial", text: joinTexts(phrases.map((p) => p.text)) });
  const maybeDone = () => {
    if (!audioOver || phrases.some((p) => p.final === undefined)) return;
    events.push(joinFinals(phrases));
  };
  const recognizePhrase = async (phrase: Phrase) => {
    for await (const event of stt.recognize(phrase.audio, {
      signal,
      ...(options.language === undefined ? {} : { language: options.language }),
    })) {
      if (event.type === "final") {
        phrase.final = event;
        phrase.text = event.text;
        break;
      }
      phrase.text = event.text;
      partial();
    }
    if (phrase.final === undefined) throw new Error("the recognizer ended without a result");
  };
  /** Starts phrases in order while fewer than `parallelism` run. */
  const startPhrases = () => {
    while (
      (running === 0 || (running < options.parallelism && aheadOfRealTime())) &&
      started < phrases.length &&
      !signal.aborted
    ) {
      const phrase = phrases[started]!;
      started += 1;
      running += 1;
      recognizePhrase(phrase).then(
        () => {
          running -= 1;
          partial();
          startPhrases();
          maybeDone();
        },
        (error: unknown) => fail(error),
      );
    }
  };
  const pump = async () => {
    const splitter = new PauseSplitter();
    let current: Phrase | undefined;
    const handle = (split: ReturnType<PauseSplitter["push"]>) => {
      for (const event of split) {
        if (event.type === "end") {
          current?.audio.close();
          current = undefined;
          continue;
        }
        if (current === undefined) {
          current = { startSample: event.startSample, audio: new AsyncQueue(), text: "", final: undefined };
          phrases.push(current);
          startPhrases();
        }
        current.audio.push(event.samples);
      }
    };
    for await (const chunk of audio) {
      signal.throwIfAborted();
      if (firstAudioAt === 0) firstAudioAt = performance.now();
      receivedSamples += chunk.length;
      handle(splitter.push(chunk));
    }
    handle(splitter.end());
    current?.audio.close();
    audioOver = true;
    if (phrases.length === 0)
      events.push({ type: "final", text: "", words: [], confidence: 0, mode: "open" });
    else maybeDone();
  };
  pump().catch(fail);
  try {
    for await (const event of events) {
      yield event;
      if (event.type === "final") return;
    }
  } finally {
    options.signal.removeEventListener("abort", stop);
    controller.abort(new DOMException("The recognition is over", "AbortError"));
    for (const phrase of phrases) phrase.audio.close();
  }
}

function joinFinals(phrases: Phrase[]): FinalEvent {
  const words: RecognizedWord[] = phrases.flatMap((phrase) => {
    const offsetMs = phrase.startSample / SAMPLES_PER_MS;
    return phrase.final!.words.map((w) => ({
      ...w,
      startMs: w.startMs + offsetMs,
      endMs: w.endMs + offsetMs,
    }));
  });
  const scored = phrases.filter((p) => p.final!.words.length > 0);
  const confidence =
    words.length === 0
      ? 0
      : scored.reduce((sum, p) => sum + p.final!.confidence * p.final!.words.length, 0) / words.length;
  return {
    type: "final",
    text: joinTexts(phrases.map((p) => p.final!.text)),
    words,
    confidence,
    mode: "open",
  };
}

function joinTexts(texts: string[]): string {
  return texts
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .join(" ");
}
