import fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { jsgfForPhrases } from "../grammar.js";
import { EN_US_MODEL, SphinxDecoder } from "./binding.js";
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

let active = false;
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
        decoder.start();
        active = true;
        sinceLastPartial = 0;
        lastPartial = "";
        break;
      }
      case "audio":
        if (!active) return;
        decoder.process(message.samples);
        sinceLastPartial += message.samples.length;
        if (sinceLastPartial >= PARTIAL_EVERY_SAMPLES) {
          sinceLastPartial = 0;
          const text = decoder.hypothesis();
          if (text !== lastPartial) {
            lastPartial = text;
            send({ type: "partial", text });
          }
        }
        break;
      case "end":
        if (!active) return;
        active = false;
        send({ type: "final", ...decoder.finish(), mode });
        break;
      case "cancel":
        if (active) decoder.finish();
        active = false;
        break;
    }
  } catch (error) {
    active = false;
    send({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});

send({ type: "ready" });
