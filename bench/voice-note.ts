/**
 * Voice note latency: a 5 s clip uploaded as a stream at real-time pace (100 ms chunks every 100 ms),
 * measured from the last request byte to the first audio piece of the reply, over 20 runs.
 *
 *   npx tsx bench/voice-note.ts [--runs 20] [--format mp3|wav]
 *
 * The server runs in its own process (`src/cli/serve.ts`) with the offline engines, warmed up.
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { librivoxClips, readPcm16Wav } from "../test/helpers/speech-corpus.js";
import { encodeWavFile } from "../src/engines/codec/encoders.js";
import { startServerProcess } from "./server-process.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "20" }, format: { type: "string", default: "mp3" } },
});
const runs = Number(values.runs);

/** About 5 s of speech: LibriVox clip 0920 (5.3 s). */
const clip = librivoxClips().find((c) => c.id.endsWith("0920"))!;
const wav = encodeWavFile(readPcm16Wav(clip.wavPath).samples, 16_000);

/** Uploads at real-time pace; resolves with ms from the last byte written to the first audio piece. */
function timedVoiceNote(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let lastByteAt = 0;
    let firstAudioMs = 0;
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
            const event = JSON.parse(buffered.slice(0, newline)) as { type: string };
            buffered = buffered.slice(newline + 1);
            if (event.type === "new-message" && !done) {
              done = true;
              firstAudioMs = performance.now() - lastByteAt;
            }
            if (event.type === "error") reject(new Error(JSON.stringify(event)));
          }
        });
        // Resolves when the reply has ended, so the next run finds the conversation free.
        response.on("end", () => {
          if (!done) reject(new Error(`no audio (status ${response.statusCode})`));
          else resolve(firstAudioMs);
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
const latenciesMs: number[] = [];
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
    const ms = await timedVoiceNote(
      `${base}/conversation/${id}/interact?request_format=voice&response_format=voice`,
      token,
    );
    if (run > 0) latenciesMs.push(ms); // the first run warms caches and JIT
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
latenciesMs.sort((a, b) => a - b);
const pct = (p: number) =>
  latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))]!;
console.log(
  `voice note: ${(wav.length / 32000).toFixed(1)} s clip at real-time pace, ${runs} runs, reply as ${values.format}`,
);
console.log(
  `last request byte → first audio piece: p50 ${pct(50).toFixed(0)} ms, p95 ${pct(95).toFixed(0)} ms`,
);
