import { audioFingerprint, FakeSttEngine } from "../../src/engines/stt/fake/engine.js";
import { clipsWithPauses, librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";
import { PAUSE_MS, pausedClips, runContract } from "./stt.js";

const paused = clipsWithPauses(pausedClips(), PAUSE_MS);
const transcripts = new Map([
  ...librivoxClips().map(
    (clip) => [audioFingerprint(readPcm16Wav(clip.wavPath).samples), clip.transcript] as const,
  ),
  [audioFingerprint(paused.samples), paused.transcript] as const,
]);

runContract("fake", () => new FakeSttEngine(transcripts), {
  maxLibrivoxWer: 0,
  maxCardsWer: 0.08,
  skip: [
    { test: "recognizes a closed set of phrases in grammar mode", reason: "the fake has no grammar mode" },
  ],
});
