import { setTimeout as sleep } from "node:timers/promises";
import { encodeWavFile } from "../../src/engines/codec/encoders.js";
import {
  cardsClips,
  clipsWithPauses,
  librivoxClips,
  readPcm16Wav,
} from "../../test/helpers/speech-corpus.js";
import { percentile } from "../engines/common.js";
import { newUserTokens } from "../realtime/users.js";
import { startServerProcess } from "../server-process.js";
import { VoiceNoteClient, type VoiceNoteTiming } from "./upload.js";

interface BurstClip {
  id: string;
  durationMs: number;
  wav: Uint8Array;
}

/**
 * The speech test set: the `cards` clips (1–3.5 s), the LibriVox clips (3–7 s), and two pairs of LibriVox
 * clips joined by 500 ms of silence (about 9.5 and 12.9 s) for the long notes.
 */
function burstClips(): BurstClip[] {
  const single = [...cardsClips(), ...librivoxClips()].map((clip) => {
    const samples = readPcm16Wav(clip.wavPath).samples;
    return { id: clip.id.slice(-4), samples };
  });
  const byId = new Map(librivoxClips().map((clip) => [clip.id.slice(-4), clip]));
  const joined = [
    ["0870", "0890"],
    ["0920", "0880"],
  ].map((ids) => ({
    id: ids.join("+"),
    samples: clipsWithPauses(
      ids.map((id) => byId.get(id)!),
      500,
    ).samples,
  }));
  return [...single, ...joined].map(({ id, samples }) => ({
    id,
    durationMs: samples.length / 16,
    wav: encodeWavFile(samples, 16_000),
  }));
}

const GROUPS = [
  { name: "< 2.5 s", maxMs: 2500 },
  { name: "2.5–5 s", maxMs: 5000 },
  { name: "5–8 s", maxMs: 8000 },
  { name: "≥ 8 s", maxMs: Number.POSITIVE_INFINITY },
];

interface Sample {
  clip: BurstClip;
  users: number;
  timing: VoiceNoteTiming;
}

const pad = (text: string, width: number) => text.padEnd(width);
const ms = (value: number) => `${value.toFixed(0).padStart(5)} ms`;

/**
 * Whole-clip (push-to-talk) uploads: every clip of the speech test set sent in one write, `runs` times
 * per user, with 1 and with 4 users at once (each user sends the clips one after the other, starting at
 * a different clip). A user records each note before sending it: the upload starts the note's length
 * after the previous reply ended, as when someone holds the button while speaking. `backToBack` drops
 * that wait (each user uploads the next note as soon as the reply is in): 4 such users ask the server
 * for 4 times one user's recognition work at every moment, so on 2 cores each note takes about 4 times
 * as long as with one user, whose phrases already use both cores. Prints, per clip-length group: last request byte → first audio piece (p50/p95,
 * and the target 0.08 × length + 150 ms for one user), recognition time after the body's end divided
 * by the audio's length, and with 4 users how far each note's first audio is from the one-user p50 of
 * the same clip (target: at most 2×).
 */
export async function runBurst(options: {
  runs: number;
  accept: string;
  users: number[];
  backToBack: boolean;
}): Promise<void> {
  const clips = burstClips();
  const server = await startServerProcess();
  const samples: Sample[] = [];
  try {
    const tokens = await newUserTokens(server.env, Math.max(...options.users));
    const clients = tokens.map((token) => new VoiceNoteClient(server.env, token));
    // Warm-up: caches, JIT and the recognizer's decoders.
    for (const clip of clips.slice(0, 3))
      await clients[0]!.note(clip.wav, { paced: false, accept: options.accept });
    for (const users of options.users) {
      await Promise.all(
        clients.slice(0, users).map(async (client, user) => {
          for (let run = 0; run < options.runs; run += 1) {
            for (let i = 0; i < clips.length; i += 1) {
              const clip = clips[(i + user * 3) % clips.length]!;
              if (!options.backToBack) await sleep(clip.durationMs);
              const timing = await client.note(clip.wav, { paced: false, accept: options.accept });
              samples.push({ clip, users, timing });
            }
          }
        }),
      );
    }
  } finally {
    await server.close();
  }
  print(samples, options);
}

function print(samples: Sample[], options: { runs: number; users: number[] }): void {
  const recognitionMs = (s: Sample) => Number(s.timing.report.body_end_to_final_transcript_ms ?? Number.NaN);
  const singleP50 = new Map<string, number>();
  for (const clip of new Set(samples.map((s) => s.clip))) {
    const single = samples.filter((s) => s.users === 1 && s.clip === clip).map((s) => s.timing.firstAudioMs);
    if (single.length > 0) singleP50.set(clip.id, percentile(single, 50));
  }
  console.log(
    `voice notes uploaded whole: ${new Set(samples.map((s) => s.clip.id)).size} clips, ${options.runs} run(s) per user, users ${options.users.join(" and ")}`,
  );
  console.log(
    `${pad("users", 6)}${pad("clip length", 13)}${pad("notes", 7)}${pad("first audio p50 / p95", 24)}${pad("target p50", 12)}${pad("recognition / audio p50 / p95", 31)}worst first audio / 1-user p50`,
  );
  for (const users of options.users) {
    let minMs = 0;
    for (const group of GROUPS) {
      const inGroup = samples.filter(
        (s) => s.users === users && s.clip.durationMs >= minMs && s.clip.durationMs < group.maxMs,
      );
      minMs = group.maxMs;
      if (inGroup.length === 0) continue;
      const first = inGroup.map((s) => s.timing.firstAudioMs);
      const lengthMs = percentile(
        inGroup.map((s) => s.clip.durationMs),
        50,
      );
      const targetMs = 0.08 * lengthMs + 150;
      const ratios = inGroup.map((s) => recognitionMs(s) / s.clip.durationMs).filter(Number.isFinite);
      const vsSingle = inGroup.map((s) => s.timing.firstAudioMs / (singleP50.get(s.clip.id) ?? Number.NaN));
      const p50 = percentile(first, 50);
      console.log(
        `${pad(String(users), 6)}${pad(group.name, 13)}${pad(String(inGroup.length), 7)}${pad(`${ms(p50)} / ${ms(percentile(first, 95))}`, 24)}${pad(
          users === 1 ? `${ms(targetMs)} ${p50 <= targetMs ? "ok" : "MISSED"}` : "",
          12 + 8,
        )}${pad(`${percentile(ratios, 50).toFixed(3)} / ${percentile(ratios, 95).toFixed(3)}`, 23)}${
          users === 1
            ? ""
            : `${Math.max(...vsSingle).toFixed(2)}× ${Math.max(...vsSingle) <= 2 ? "ok" : "MISSED"}`
        }`,
      );
    }
  }
}
