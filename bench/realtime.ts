/**
 * Real-time WebSocket sessions at real-time pace: reply latency, barge-in, input pacing, and the
 * server's CPU and memory per session, with N sessions in parallel.
 *
 *   npx tsx bench/realtime.ts [--sessions 1,4,8] [--turns 20]
 *   npx tsx bench/realtime.ts --max-n [--steps 1,2,4,8,12,16] [--turns 20]
 *
 * Each N runs on a fresh server process (`src/cli/serve.ts`, SQLite in a temp dir, offline engines,
 * warmed up) with one user per session. A warm-up session of two turns runs first and is not counted;
 * then the sessions start 250 ms apart. Each session connects with response_format=voice, starts in VAD
 * mode with the default VAD settings, and from then on streams 16 kHz PCM16 in 20 ms binary frames at
 * real-time pace: digital silence, or a LibriVox clip as recorded when the user speaks (silence goes on
 * streaming while the agent talks, as from a live microphone). Even turns wait for the previous reply's
 * end before speaking; odd turns barge in: their speech starts 0.2 s after the previous reply's first
 * audio chunk arrived.
 *
 * - first audio: the send time of the frame holding the clip's last speech sample → arrival of the first
 *   server.new-message after the turn's server.user-message-available.
 *   It is split into end of speech → server.vad-speech-ended and the rest, and the rest again by the
 *   server's own server.latency-report (final transcript, agent's first text, first audio chunk, from the
 *   end of the utterance's input); replies cut by a barge-in send no report.
 * - barge-in: the send time of the frame holding the first speech sample → arrival of the cut reply's last
 *   audio chunk before its audio stopped (server.agent-paused, or server.agent-interrupted when there was
 *   no pause), and → agent-interrupted itself. A stop that the clip's lead-in caused (the VAD heard a
 *   breath before the first speech sample) counts from the speech too, so it can be negative. Barge-ins
 *   whose reply was interrupted before the clip began (by the previous clip's tail) or had sent all its
 *   audio are counted apart.
 * - late frames: frames sent more than 20 ms after their audio ended (the client could not keep pace);
 *   1013: sockets the server closed because input audio piled up.
 * - CPU and memory: the server process's utime + stime over the phase / N / wall time, and
 *   (peak VmRSS during the phase − VmRSS when idle after the warm-up) / N.
 *
 * An N holds the limits when no frame was late or dropped (no 1013), no turn failed, the barge-in p50
 * meets its target, the first-audio p95 is within 1.5 × that of one session, and memory per session is
 * ≤ 30 MB. `--max-n` runs the steps in order and stops at the first N that does not hold them.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { percentile } from "./engines/common.js";
import type { Target } from "./realtime/line.js";
import { cpuSeconds, rssMb, sampleRss, serverPid } from "./realtime/server-stats.js";
import { runSession, type SessionFigures } from "./realtime/session.js";
import { spokenClips } from "./realtime/speech.js";
import { newUserTokens } from "./realtime/users.js";
import { startServerProcess } from "./server-process.js";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "1,4,8" },
    turns: { type: "string", default: "20" },
    "max-n": { type: "boolean", default: false },
    steps: { type: "string", default: "1,2,4,8,12,16" },
  },
});
const turns = Number(values.turns);
if (!Number.isInteger(turns) || turns < 1) throw new Error("--turns must be a whole number ≥ 1");
const counts = (list: string) =>
  [...new Set(list.split(",").map(Number))].filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
const START_STAGGER_MS = 250;
const MAX_MB_PER_SESSION = 30;
const MAX_P95_RATIO = 1.5;
const clips = spokenClips();

interface Phase extends SessionFigures {
  n: number;
  wallS: number;
  cpuCorePerSession: number;
  idleMb: number;
  peakMb: number;
  mbPerSession: number;
}

/** Sums the figures of several sessions. */
function merged(all: SessionFigures[]): SessionFigures {
  const sum = (pick: (f: SessionFigures) => number) => all.reduce((n, f) => n + pick(f), 0);
  return {
    firstAudioMs: all.flatMap((f) => f.firstAudioMs),
    endpointToAudioMs: all.flatMap((f) => f.endpointToAudioMs),
    speechEndToEndpointMs: all.flatMap((f) => f.speechEndToEndpointMs),
    detectorEndOffsetMs: all.flatMap((f) => f.detectorEndOffsetMs),
    serverTranscriptMs: all.flatMap((f) => f.serverTranscriptMs),
    serverAgentFirstTextMs: all.flatMap((f) => f.serverAgentFirstTextMs),
    serverFirstAudioMs: all.flatMap((f) => f.serverFirstAudioMs),
    firstAudioCalmMs: all.flatMap((f) => f.firstAudioCalmMs),
    firstAudioBargeInMs: all.flatMap((f) => f.firstAudioBargeInMs),
    bargeInMs: all.flatMap((f) => f.bargeInMs),
    interruptedMs: all.flatMap((f) => f.interruptedMs),
    stoppedMs: all.flatMap((f) => f.stoppedMs),
    bargeInMissed: sum((f) => f.bargeInMissed),
    bargeInEarly: sum((f) => f.bargeInEarly),
    splitTurns: sum((f) => f.splitTurns),
    conversationsEnded: sum((f) => f.conversationsEnded),
    framesSent: sum((f) => f.framesSent),
    lateFrames: sum((f) => f.lateFrames),
    maxLatenessMs: Math.max(0, ...all.map((f) => f.maxLatenessMs)),
    overloadCloses: sum((f) => f.overloadCloses),
    failedTurns: sum((f) => f.failedTurns),
    errors: all.flatMap((f) => f.errors),
    vad: all.find((f) => f.vad !== undefined)?.vad,
  };
}

async function runPhase(n: number): Promise<Phase> {
  const server = await startServerProcess();
  try {
    const { env } = server;
    const pid = serverPid();
    const target: Target = {
      baseUrl: env.AMIGO_BASE_URL!,
      orgId: env.AMIGO_ORGANIZATION_ID!,
      serviceId: env.AMIGO_SERVICE_ID!,
    };
    const tokens = await newUserTokens(env, n + 1);
    const warmUp = await runSession(target, tokens[n]!, clips, 2);
    if (warmUp.firstAudioMs.length === 0) throw new Error(`warm-up failed: ${warmUp.errors.join("; ")}`);
    await sleep(1000);
    const idleMb = rssMb(pid);
    const cpuBeforeS = cpuSeconds(pid);
    const startedAt = performance.now();
    const rss = sampleRss(pid);
    const sessions = await Promise.all(
      tokens
        .slice(0, n)
        .map((token, i) =>
          sleep(i * START_STAGGER_MS).then(() => runSession(target, token, clips, turns, i)),
        ),
    );
    const wallS = (performance.now() - startedAt) / 1000;
    const cpuS = cpuSeconds(pid) - cpuBeforeS;
    const { peakMb } = rss.stop();
    return {
      n,
      ...merged(sessions),
      wallS,
      cpuCorePerSession: cpuS / n / wallS,
      idleMb,
      peakMb,
      mbPerSession: (peakMb - idleMb) / n,
    };
  } finally {
    await server.close();
  }
}

const ms = (values: number[], p: number) =>
  values.length === 0 ? "    –" : `${percentile(values, p).toFixed(0).padStart(5)}`;
const p50p95 = (values: number[]) => `p50 ${ms(values, 50)} ms  p95 ${ms(values, 95)} ms`;
const mark = (ok: boolean) => (ok ? "ok" : "MISSED");

/** Why `phase` does not hold the limits (empty when it does), against the one-session phase `one`. */
function shortfalls(phase: Phase, one: Phase | undefined): string[] {
  const reasons: string[] = [];
  if (phase.lateFrames > 0) reasons.push(`${phase.lateFrames} late input frames`);
  if (phase.overloadCloses > 0) reasons.push(`${phase.overloadCloses} closes 1013`);
  if (phase.failedTurns > 0 || phase.errors.length > 0) reasons.push(`${phase.errors.length} failures`);
  const bargeTargetMs = (phase.vad?.min_speech_ms ?? Number.NaN) + 100;
  if (phase.bargeInMs.length > 0 && percentile(phase.bargeInMs, 50) > bargeTargetMs)
    reasons.push("barge-in p50 over target");
  if (one !== undefined && phase.n > 1 && one.firstAudioMs.length > 0) {
    const limitMs = MAX_P95_RATIO * percentile(one.firstAudioMs, 95);
    if (phase.firstAudioMs.length === 0 || percentile(phase.firstAudioMs, 95) > limitMs)
      reasons.push(`first audio p95 over ${limitMs.toFixed(0)} ms`);
  }
  if (phase.mbPerSession > MAX_MB_PER_SESSION) reasons.push(`over ${MAX_MB_PER_SESSION} MB per session`);
  return reasons;
}

function report(phase: Phase, one: Phase | undefined): string[] {
  const silenceMs = phase.vad?.silence_duration_ms ?? Number.NaN;
  const minSpeechMs = phase.vad?.min_speech_ms ?? Number.NaN;
  const firstP50 = phase.firstAudioMs.length > 0 ? percentile(phase.firstAudioMs, 50) : Number.NaN;
  const bargeP50 = phase.bargeInMs.length > 0 ? percentile(phase.bargeInMs, 50) : Number.NaN;
  const firstTarget =
    phase.n === 1
      ? `target p50 ≤ ${silenceMs + 100} ms (${mark(firstP50 <= silenceMs + 100)})`
      : one === undefined || one.firstAudioMs.length === 0
        ? "target p95 ≤ 1.5 × one session's (no one-session run)"
        : `target p95 ≤ ${(MAX_P95_RATIO * percentile(one.firstAudioMs, 95)).toFixed(0)} ms = 1.5 × one session's`;
  const reasons = shortfalls(phase, one);
  return [
    `N = ${phase.n}: ${phase.firstAudioMs.length} of ${phase.n * turns} turns answered, ${phase.bargeInMs.length} barge-ins measured ` +
      `(${phase.bargeInMissed} found the reply over, ${phase.bargeInEarly} found it already interrupted), ${phase.splitTurns} clips split by the VAD, ` +
      `${phase.conversationsEnded} goodbyes, ${phase.failedTurns} failed turns, ${phase.wallS.toFixed(0)} s`,
    `  end of speech → first agent audio      ${p50p95(phase.firstAudioMs)}   ${firstTarget}`,
    `    of which end of speech → vad-speech-ended ${p50p95(phase.speechEndToEndpointMs)}`,
    `      its audio_end_ms − the clip's speech end (stream time) ${p50p95(phase.detectorEndOffsetMs)}`,
    `    of which vad-speech-ended → audio    ${p50p95(phase.endpointToAudioMs)}`,
    `      server, from the utterance's end: final transcript ${p50p95(phase.serverTranscriptMs)}`,
    `        agent's first text ${p50p95(phase.serverAgentFirstTextMs)}, first audio ${p50p95(phase.serverFirstAudioMs)}`,
    `    turns spoken while the agent was silent ${p50p95(phase.firstAudioCalmMs)}`,
    `    turns spoken over the agent (barge-in)  ${p50p95(phase.firstAudioBargeInMs)}`,
    `  first speech → last agent audio chunk  ${p50p95(phase.bargeInMs)}   target p50 ≤ ${minSpeechMs + 100} ms (${mark(bargeP50 <= minSpeechMs + 100)})`,
    `  first speech → audio stop message      ${p50p95(phase.stoppedMs)}   (agent-paused, else agent-interrupted: the client flushes; below 0 when the clip's lead-in paused the agent)`,
    `  first speech → agent-interrupted       ${p50p95(phase.interruptedMs)}`,
    `  input frames late > 20 ms              ${phase.lateFrames} of ${phase.framesSent} (worst ${phase.maxLatenessMs.toFixed(0)} ms late), ` +
      `closes 1013: ${phase.overloadCloses}   target none (${mark(phase.lateFrames + phase.overloadCloses === 0)})`,
    `  server CPU per session                 ${(phase.cpuCorePerSession * 100).toFixed(1)} % of a core`,
    `  server memory per session              ${phase.mbPerSession.toFixed(1)} MB (idle ${phase.idleMb.toFixed(0)} MB, ` +
      `peak ${phase.peakMb.toFixed(0)} MB)   target ≤ ${MAX_MB_PER_SESSION} MB (${mark(phase.mbPerSession <= MAX_MB_PER_SESSION)})`,
    `  holds the limits: ${reasons.length === 0 ? "yes" : `no (${reasons.join(", ")})`}`,
    ...phase.errors.slice(0, 5).map((error) => `  error: ${error}`),
  ];
}

const steps = counts(values["max-n"] ? values.steps : values.sessions);
if (steps.length === 0) throw new Error("--sessions and --steps take counts such as 1,4,8");
console.log(
  `real-time sessions: ${turns} turns each (odd turns barge in 0.2 s into the previous reply), ` +
    `20 ms frames at real-time pace, silence streamed between clips, ${clips.length} LibriVox clips`,
);
let one: Phase | undefined;
let largestHolding: number | undefined;
for (const n of steps) {
  const phase = await runPhase(n);
  if (n === 1) one = phase;
  console.log(report(phase, one).join("\n"));
  const holds = shortfalls(phase, one).length === 0;
  if (holds) largestHolding = n;
  if (values["max-n"] && !holds) break;
}
if (values["max-n"])
  console.log(`largest N that holds the limits: ${largestHolding ?? "none"} (steps ${steps.join(", ")})`);
