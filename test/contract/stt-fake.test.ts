import { audioFingerprint, FakeSttEngine } from "../../src/engines/stt/fake/engine.js";
import { librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";
import { runContract } from "./stt.js";

const transcripts = new Map(
  librivoxClips().map((clip) => [audioFingerprint(readPcm16Wav(clip.wavPath).samples), clip.transcript]),
);

runContract("fake", () => new FakeSttEngine(transcripts), {
  maxLibrivoxWer: 0,
  maxCardsWer: 0.08,
  skip: [
    { test: "recognizes a closed set of phrases in grammar mode", reason: "the fake has no grammar mode" },
  ],
});
