/**
 * Voice note latency: a 5 s clip uploaded as a stream at real-time pace (100 ms chunks every 100 ms),
 * measured from the last request byte to the first audio piece of the reply, over 20 runs.
 *
 *   npx tsx bench/voice-note.ts [--runs 20] [--format mp3|wav] [--cut-trailing-silence]
 *   npx tsx bench/voice-note.ts --burst [--runs 2] [--users 1,4] [--back-to-back]
 *
 * `--burst`: every clip of the speech test set uploaded whole, with 1 and with 4 users at once (see
 * `voice-note/burst.ts`); `--runs` then counts the rounds over the clips per user. Each user records a
 * note (waits its length) before uploading it; `--back-to-back` uploads the next note at once.
 * The clip ends as recorded, with about 200 ms of quiet after the last word. `--cut-trailing-silence`
 * cuts the upload right after the last word (the recognizer then cannot close the phrase before the
 * upload ends: the worst case). The server runs in its own process (`src/cli/serve.ts`) with the
 * offline engines, warmed up.
 */
import { parseArgs } from "node:util";
import { librivoxClips, readPcm16Wav } from "../test/helpers/speech-corpus.js";
import { encodeWavFile } from "../src/engines/codec/encoders.js";
import { percentile } from "./engines/common.js";
import { startServerProcess } from "./server-process.js";
import { runBurst } from "./voice-note/burst.js";
import { demoUserToken, VoiceNoteClient, type VoiceNoteTiming } from "./voice-note/upload.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    format: { type: "string", default: "mp3" },
    "cut-trailing-silence": { type: "boolean", default: false },
    burst: { type: "boolean", default: false },
    users: { type: "string", default: "1,4" },
    "back-to-back": { type: "boolean", default: false },
  },
});
const accept = values.format === "wav" ? "audio/wav" : "audio/mpeg";
if (values.burst) {
  await runBurst({
    runs: process.argv.includes("--runs") ? Number(values.runs) : 2,
    accept,
    users: values.users.split(",").map(Number),
    backToBack: values["back-to-back"],
  });
  process.exit(0);
}
const runs = Number(values.runs);

/** About 5 s of speech: LibriVox clip 0920 (5.3 s). */
const clip = librivoxClips().find((c) => c.id.endsWith("0920"))!;
const recorded = readPcm16Wav(clip.wavPath).samples;
const wav = encodeWavFile(
  values["cut-trailing-silence"] ? recorded.subarray(0, speechEndSample(recorded)) : recorded,
  16_000,
);

/** Where speech ends: just after the last 10 ms frame within 30 dB of the loudest frame. */
function speechEndSample(samples: Int16Array): number {
  const frameSamples = 160;
  const levelsDb: number[] = [];
  for (let start = 0; start + frameSamples <= samples.length; start += frameSamples) {
    let energy = 0;
    for (let i = start; i < start + frameSamples; i += 1) energy += samples[i]! ** 2;
    levelsDb.push(10 * Math.log10(energy / frameSamples + 1));
  }
  const loudestDb = Math.max(...levelsDb);
  const lastLoud = levelsDb.findLastIndex((db) => db >= loudestDb - 30);
  return (lastLoud + 1) * frameSamples;
}

const server = await startServerProcess();
const timings: VoiceNoteTiming[] = [];
try {
  const client = new VoiceNoteClient(server.env, await demoUserToken(server.env));
  for (let run = 0; run < runs + 1; run += 1) {
    const timing = await client.note(wav, { paced: true, accept });
    if (run > 0) timings.push(timing); // the first run warms caches and JIT
  }
} finally {
  await server.close();
}
const figure = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms`;
const serverFigure = (key: string) =>
  figure(timings.map((t) => Number(t.report[key] ?? Number.NaN)).filter(Number.isFinite));

console.log(
  `voice note: ${(wav.length / 32000).toFixed(2)} s clip${values["cut-trailing-silence"] ? " cut after its last word" : ""} at real-time pace, ${runs} runs, reply as ${values.format}`,
);
console.log(`last request byte → first audio piece: ${figure(timings.map((t) => t.firstAudioMs))}`);
console.log("server side, from the body's last byte:");
console.log(`  final transcript     ${serverFigure("body_end_to_final_transcript_ms")}`);
console.log(`  agent's first text   ${serverFigure("agent_first_text_ms")}`);
console.log(`  first audio          ${serverFigure("first_audio_ms")}   (a filler counts)`);
console.log(`  first answer audio   ${serverFigure("first_answer_audio_ms")}`);
console.log(`  last audio piece     ${serverFigure("last_audio_piece_ms")}`);
