/**
 * Voice note latency: a 5 s clip uploaded as a stream at real-time pace (100 ms chunks every 100 ms),
 * measured from the last request byte to the first audio piece of the reply, over 20 runs.
 *
 *   npx tsx bench/voice-note.ts [--runs 20] [--format mp3|wav] [--cut-trailing-silence]
 *
 * The clip ends as recorded, with about 200 ms of quiet after the last word. `--cut-trailing-silence`
 * cuts the upload right after the last word (the recognizer then cannot close the phrase before the
 * upload ends: the worst case). The server runs in its own process (`src/cli/serve.ts`) with the
 * offline engines, warmed up.
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { librivoxClips, readPcm16Wav } from "../test/helpers/speech-corpus.js";
import { encodeWavFile } from "../src/engines/codec/encoders.js";
import { percentile } from "./engines/common.js";
import { startServerProcess } from "./server-process.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    format: { type: "string", default: "mp3" },
    "cut-trailing-silence": { type: "boolean", default: false },
  },
});
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

interface VoiceNoteTiming {
  /** Client side: last request byte written → first audio piece read. */
  firstAudioMs: number;
  /** The server's own `latency-report` event. */
  report: Record<string, unknown>;
}

/** Uploads at real-time pace; resolves with the client's and the server's timings of the reply. */
function timedVoiceNote(url: string, token: string): Promise<VoiceNoteTiming> {
  return new Promise((resolve, reject) => {
    let lastByteAt = 0;
    let firstAudioMs = 0;
    let report: Record<string, unknown> = {};
    let buffered = "";
    const request = http.request(
      url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "audio/wav",
          accept: values.format === "wav" ? "audio/wav" : "audio/mpeg",
        },
        agent: false,
      },
      (response) => {
        response.setEncoding("utf8");
        let done = false;
        response.on("data", (text: string) => {
          buffered += text;
          for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
            const event = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
            buffered = buffered.slice(newline + 1);
            if (event.type === "new-message" && !done) {
              done = true;
              firstAudioMs = performance.now() - lastByteAt;
            }
            if (event.type === "latency-report") report = event;
            if (event.type === "error") reject(new Error(JSON.stringify(event)));
          }
        });
        // Resolves when the reply has ended, so the next run finds the conversation free.
        response.on("end", () => {
          if (!done) reject(new Error(`no audio (status ${response.statusCode})`));
          else resolve({ firstAudioMs, report });
        });
      },
    );
    request.on("error", reject);
    const chunkBytes = 3200;
    let offset = 0;
    const tick = () => {
      request.write(wav.subarray(offset, offset + chunkBytes));
      offset += chunkBytes;
      if (offset >= wav.length) {
        request.end(() => (lastByteAt = performance.now()));
        lastByteAt = performance.now();
      } else setTimeout(tick, 100);
    };
    tick();
  });
}

const server = await startServerProcess();
const { env } = server;
const base = `${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}`;
const signin = await fetch(`${base}/user/signin_with_api_key`, {
  method: "POST",
  headers: {
    "x-api-key": env.AMIGO_API_KEY!,
    "x-api-key-id": env.AMIGO_API_KEY_ID!,
    "x-user-id": env.AMIGO_USER_ID!,
  },
});
const token = ((await signin.json()) as { id_token: string }).id_token;
const timings: VoiceNoteTiming[] = [];
try {
  for (let run = 0; run < runs + 1; run += 1) {
    // A fresh conversation per run, so every note is answered in the same dialog state.
    const created = await fetch(`${base}/conversation/?response_format=text`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ service_id: env.AMIGO_SERVICE_ID }),
    });
    const createdText = await created.text();
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${createdText}`);
    const id = (JSON.parse(createdText.split("\n")[0]!) as { conversation_id: string }).conversation_id;
    const timing = await timedVoiceNote(
      `${base}/conversation/${id}/interact?request_format=voice&response_format=voice&include_latency_report=true`,
      token,
    );
    if (run > 0) timings.push(timing); // the first run warms caches and JIT
    const finished = await fetch(`${base}/conversation/${id}/finish/`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    // A reply that ended the conversation (a farewell) leaves nothing to finish.
    if (finished.status !== 204 && finished.status !== 409)
      throw new Error(`finish failed: ${finished.status}`);
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
