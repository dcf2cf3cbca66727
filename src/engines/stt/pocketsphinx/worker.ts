import fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { jsgfForPhrases } from "../grammar.js";
import { EN_US_MODEL, SphinxDecoder } from "./binding.js";
import { PhraseSegmenter } from "./phrase-segmenter.js";
import type { FromWorker, ToWorker } from "./worker-protocol.js";

/** Samples between partial hypotheses: 0.25 s of audio. */
const PARTIAL_EVERY_SAMPLES = 4000;

const port = parentPort;
if (port === null) throw new Error("the STT worker must run in a worker thread");

const send = (message: FromWorker) => port.postMessage(message);
const decoder = new SphinxDecoder(
  (workerData as { decoderArgs?: Record<string, string> } | null)?.decoderArgs ?? {},
);
let dictionary: Set<string> | undefined;
const knownWord = (word: string) => {
  dictionary ??= new Set(
    fs
      .readFileSync(EN_US_MODEL.dict, "utf8")
      .split("\n")
      .map((line) => line.split(" ", 1)[0] ?? ""),
  );
  return dictionary.has(word);
};

let recognizer: PhraseSegmenter | undefined;
let currentSession = -1;
let mode: "open" | "grammar" = "open";
let sinceLastPartial = 0;
let lastPartial = "";

port.on("message", (message: ToWorker) => {
  try {
    if (message.type !== "start" && message.session !== currentSession) return;
    switch (message.type) {
      case "start": {
        currentSession = message.session;
        const grammar =
          message.jsgfGrammar ??
          (message.expectedPhrases !== undefined && message.expectedPhrases.length > 0
            ? jsgfForPhrases(message.expectedPhrases, knownWord)
            : undefined);
        mode = grammar === undefined ? "open" : "grammar";
        decoder.useSearch(grammar);
        recognizer = new PhraseSegmenter(decoder, mode === "open");
        sinceLastPartial = 0;
        lastPartial = "";
        break;
      }
      case "audio":
        if (recognizer === undefined) return;
        recognizer.process(message.samples);
        sinceLastPartial += message.samples.length;
        if (sinceLastPartial >= PARTIAL_EVERY_SAMPLES) {
          sinceLastPartial = 0;
          const text = recognizer.hypothesis();
          if (text !== lastPartial) {
            lastPartial = text;
            send({ type: "partial", text });
          }
        }
        break;
      case "end": {
        const ending = recognizer;
        recognizer = undefined;
        if (ending !== undefined) send({ type: "final", ...ending.finish(), mode });
        break;
      }
      case "cancel":
        recognizer?.finish();
        recognizer = undefined;
        break;
    }
  } catch (error) {
    // Leave the decoder between utterances, so that the next request can start one.
    if (recognizer !== undefined) {
      recognizer = undefined;
      try {
        decoder.finish();
      } catch {
        // The decoder had no utterance open.
      }
    }
    send({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});

send({ type: "ready" });
