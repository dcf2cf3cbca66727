import fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { jsgfForPhrases } from "../grammar.js";
import { EN_US_MODEL, LanguageModel, SphinxDecoder } from "./binding.js";
import { type DecodeWork, DecodeQueue } from "./decode-queue.js";
import { PhraseSegmenter } from "./phrase-segmenter.js";
import { headword } from "./vocabulary-dictionary.js";
import type { FromWorker, RecognizerWorkerData, ToWorker } from "./worker-protocol.js";

/** Samples between partial hypotheses: 0.25 s of audio. */
const PARTIAL_EVERY_SAMPLES = 4000;
/** Audio decoded in one piece at most (0.25 s): the unit of work between two sessions' turns. */
const MAX_PIECE_SAMPLES = 4000;

const port = parentPort;
if (port === null) throw new Error("the STT worker must run in a worker thread");
const config = workerData as RecognizerWorkerData;

const send = (message: FromWorker) => port.postMessage(message);
let dictionary: Set<string> | undefined;
const knownWord = (word: string) => {
  dictionary ??= new Set(fs.readFileSync(EN_US_MODEL.dict, "utf8").split("\n").map(headword));
  return dictionary.has(word);
};

interface Session {
  decoder: SphinxDecoder;
  recognizer: PhraseSegmenter;
  mode: "open" | "grammar";
  sinceLastPartial: number;
  lastPartial: string;
}

/**
 * One decoder per session, so that sessions interleave piece by piece without sharing search or
 * cepstral-mean state. Open-vocabulary decoders share one language model; grammar sessions use
 * grammar-only decoders (no language model search, about half the memory). A session's decoder, once
 * the session ends or is cancelled, waits in `retired` until it is reset (a cancelled session's utterance
 * is still open, see SphinxDecoder.reset), then in its kind's idle list for the next session: decoders
 * are kept (up to `config.idleDecoders` idle of each kind; a worker hosts at most that many sessions), so
 * after the first few recognitions no session waits for a decoder to be created. While no session runs,
 * the worker creates open decoders up to `config.warmDecoders` in the background.
 */
const sessions = new Map<number, Session>();
const languageModel = new LanguageModel(config.decoderArgs);
const idle = { open: [new SphinxDecoder(config.decoderArgs, languageModel)], grammar: [] as SphinxDecoder[] };
const retired: SphinxDecoder[] = [];
let openDecoders = 1;
let tidying = false;

function createDecoder(kind: "open" | "grammar"): SphinxDecoder {
  if (kind === "grammar") return new SphinxDecoder(config.decoderArgs, "grammar-only");
  const decoder = new SphinxDecoder(config.decoderArgs, languageModel);
  openDecoders += 1;
  return decoder;
}

const kindOf = (decoder: SphinxDecoder) => (decoder.open ? "open" : "grammar");

/** A decoder for a new session: an idle one, else a retired one reset now, else a new one. */
function takeDecoder(kind: "open" | "grammar"): SphinxDecoder {
  const ready = idle[kind].pop();
  if (ready !== undefined) return ready;
  for (let index = retired.findIndex((d) => kindOf(d) === kind); index >= 0;) {
    const used = retired.splice(index, 1)[0]!;
    try {
      used.reset();
      return used;
    } catch {
      discard(used);
    }
    index = retired.findIndex((d) => kindOf(d) === kind);
  }
  return createDecoder(kind);
}

/** Takes back the decoder of a session that ended or was cancelled. */
function retire(decoder: SphinxDecoder): void {
  retired.push(decoder);
  scheduleTidying();
}

/** A decoder in an unknown state (it failed) or one too many is freed, never reused. */
function discard(decoder: SphinxDecoder): void {
  if (decoder.open) openDecoders -= 1;
  try {
    decoder.free();
  } catch {
    // Nothing more can be done with it.
  }
}

/**
 * Resets or frees retired decoders after the messages already waiting have been handled, so that a
 * cancel does not hold up other sessions' audio (a session that starts before then resets one itself).
 * Then, while no session runs, creates one more warm open decoder if there are fewer than
 * `config.warmDecoders` (one per turn of the event loop, so that a new session waits for one at most).
 */
function scheduleTidying(): void {
  if (tidying) return;
  tidying = true;
  setImmediate(() => {
    tidying = false;
    for (let decoder = retired.shift(); decoder !== undefined; decoder = retired.shift()) {
      const kind = kindOf(decoder);
      if (idle[kind].length >= config.idleDecoders) {
        discard(decoder);
        continue;
      }
      try {
        decoder.reset();
        idle[kind].push(decoder);
      } catch {
        discard(decoder);
      }
    }
    if (sessions.size === 0 && openDecoders < config.warmDecoders && idle.open.length < config.idleDecoders) {
      try {
        idle.open.push(createDecoder("open"));
      } catch {
        return;
      }
      scheduleTidying();
    }
  });
}

function start(message: Extract<ToWorker, { type: "start" }>): void {
  const grammar =
    message.jsgfGrammar ??
    (message.expectedPhrases !== undefined && message.expectedPhrases.length > 0
      ? jsgfForPhrases(message.expectedPhrases, knownWord)
      : undefined);
  const mode = grammar === undefined ? "open" : "grammar";
  const decoder = takeDecoder(mode);
  try {
    decoder.useSearch(grammar);
    const recognizer = new PhraseSegmenter(decoder, mode === "open");
    sessions.set(message.session, { decoder, recognizer, mode, sinceLastPartial: 0, lastPartial: "" });
  } catch (error) {
    discard(decoder);
    throw error;
  }
}

function audio(session: Session, id: number, samples: Int16Array): void {
  session.recognizer.process(samples);
  session.sinceLastPartial += samples.length;
  if (session.sinceLastPartial >= PARTIAL_EVERY_SAMPLES) {
    session.sinceLastPartial = 0;
    const text = session.recognizer.hypothesis();
    if (text !== session.lastPartial) {
      session.lastPartial = text;
      send({ type: "partial", session: id, text });
    }
  }
}

/** Audio the sessions sent that is not decoded yet; a session whose audio has ended goes first. */
const queue = new DecodeQueue(MAX_PIECE_SAMPLES);
let decodingScheduled = false;

/**
 * Decodes one piece of queued work per turn of the event loop, so that messages arriving meanwhile
 * (another session's end, a cancel) are queued before the next piece is chosen.
 */
function scheduleDecoding(): void {
  if (decodingScheduled || queue.isEmpty) return;
  decodingScheduled = true;
  setImmediate(() => {
    decodingScheduled = false;
    const work = queue.take();
    if (work !== undefined) decode(work);
    scheduleDecoding();
  });
}

function decode(work: DecodeWork): void {
  const id = work.session;
  const session = sessions.get(id);
  try {
    if (work.type === "audio") {
      if (session !== undefined) audio(session, id, work.samples);
      send({ type: "consumed", session: id, samples: work.samples.length });
    } else if (session !== undefined) {
      const result = session.recognizer.finish();
      sessions.delete(id);
      retire(session.decoder);
      send({ type: "final", session: id, ...result, mode: session.mode });
    }
  } catch (error) {
    fail(id, error, work.type === "audio" ? work.samples.length : 0);
  }
}

/** A session whose decoder failed: the decoder is freed and its queued audio is given back unread. */
function fail(id: number, error: unknown, samplesInHand: number): void {
  const session = sessions.get(id);
  sessions.delete(id);
  if (session !== undefined) discard(session.decoder);
  const unread = samplesInHand + queue.remove(id);
  if (unread > 0) send({ type: "consumed", session: id, samples: unread });
  send({ type: "error", session: id, message: error instanceof Error ? error.message : String(error) });
}

port.on("message", (message: ToWorker) => {
  const id = message.session;
  switch (message.type) {
    case "start":
      try {
        start(message);
      } catch (error) {
        fail(id, error, 0);
      }
      break;
    case "audio":
      // Audio of a session the worker no longer has (it failed) is acknowledged and dropped.
      if (!sessions.has(id)) {
        send({ type: "consumed", session: id, samples: message.samples.length });
      } else {
        try {
          queue.addAudio(id, message.samples);
        } catch (error) {
          fail(id, error, message.samples.length);
        }
      }
      break;
    case "end":
      if (sessions.has(id)) queue.end(id);
      break;
    case "cancel": {
      // The sender has stopped counting: the session's queued audio is dropped without a receipt.
      queue.remove(id);
      const session = sessions.get(id);
      if (session === undefined) return;
      sessions.delete(id);
      retire(session.decoder);
      break;
    }
  }
  scheduleDecoding();
});

send({ type: "ready" });
scheduleTidying();
