/**
 * Echo rejection over the real-time WebSocket, with a simulated speakerphone.
 *
 *   npx tsx bench/echo.ts [--trials 20] [--parallel 4] [--seed 1] [--no-echo-rejection]
 *
 * A fresh server process (`src/cli/serve.ts`, SQLite in a temp dir, offline engines) and one new user
 * per trial. Each trial connects with response_format=voice, starts a conversation in VAD mode with the
 * default settings and plays the client of a speakerphone call (test/helpers/speakerphone.ts): the agent
 * audio it receives is queued for playback as a client does (flushed on server.agent-interrupted), and
 * every 20 ms it sends one frame of what its microphone hears: the loudspeaker's output delayed
 * (30–150 ms), attenuated (−16 to −6 dB) and band-limited (300–3400 Hz, 4th order), plus room noise
 * (low-passed, −60 to −48 dBFS), plus the user when the user speaks. Each trial draws its own set-up
 * from the seed.
 *
 * - echo trials (`--trials`): the user says nothing while the agent greets. Passed when the greeting
 *   plays to its end without server.agent-interrupted.
 * - speech trials (`--trials`): 1 s after the greeting's first audio chunk arrived, the user reads a
 *   LibriVox clip (as recorded) into the same microphone. Passed when server.agent-interrupted comes
 *   before the greeting ends.
 *
 * Prints the pass rates (targets: ≥ 95 % each), pauses and resumes of the agent, the echo delays, and
 * user speech start → agent-interrupted. `--no-echo-rejection` runs the same trials with the server's echo
 * rejection off, for comparison.
 */
import { parseArgs } from "node:util";
import { percentile } from "./engines/common.js";
import { spokenClips, type SpokenClip } from "./realtime/speech.js";
import { newUserTokens } from "./realtime/users.js";
import { startServerProcess } from "./server-process.js";
import { RealtimeClient, type ServerMessage } from "../test/helpers/realtime-client.js";
import { prng, Speakerphone, type SpeakerphoneSetup } from "../test/helpers/speakerphone.js";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "20" },
    parallel: { type: "string", default: "4" },
    seed: { type: "string", default: "1" },
    "no-echo-rejection": { type: "boolean", default: false },
  },
});
const trials = Number(values.trials);
const parallel = Number(values.parallel);
const echoRejection = !values["no-echo-rejection"];
if (!Number.isInteger(trials) || trials < 1) throw new Error("--trials must be a whole number ≥ 1");
if (!Number.isInteger(parallel) || parallel < 1) throw new Error("--parallel must be a whole number ≥ 1");

const FRAME_MS = 20;
const FRAME_SAMPLES = 16 * FRAME_MS;
const USER_STARTS_AFTER_MS = 1000;
const TRIAL_TIMEOUT_MS = 40_000;
const clips = spokenClips();

interface Trial {
  index: number;
  kind: "echo" | "speech";
  setup: SpeakerphoneSetup;
  clip: SpokenClip | undefined;
}

interface TrialResult {
  trial: Trial;
  interrupted: boolean;
  completed: boolean;
  pauses: number;
  resumes: number;
  /** User speech start (its first speech sample in the microphone) → agent-interrupted. */
  speechToInterruptMs: number | undefined;
  greetingAudioMs: number;
  lateFrames: number;
  error: string | undefined;
}

function trialsOf(seed: number): Trial[] {
  const random = prng(seed);
  const between = (low: number, high: number) => low + (high - low) * random();
  const list: Trial[] = [];
  for (let i = 0; i < trials * 2; i += 1) {
    const setup: SpeakerphoneSetup = {
      delayMs: Math.round(between(30, 150)),
      echoGain: 10 ** (between(-16, -6) / 20),
      noiseRms: 10 ** (between(-60, -48) / 20),
      seed: Math.floor(random() * 2 ** 31),
    };
    const kind = i % 2 === 0 ? "echo" : "speech";
    list.push({ index: i, kind, setup, clip: kind === "speech" ? clips[i % clips.length] : undefined });
  }
  return list;
}

async function runTrial(
  target: { baseUrl: string; orgId: string; serviceId: string },
  token: string,
  trial: Trial,
) {
  const result: TrialResult = {
    trial,
    interrupted: false,
    completed: false,
    pauses: 0,
    resumes: 0,
    speechToInterruptMs: undefined,
    greetingAudioMs: 0,
    lateFrames: 0,
    error: undefined,
  };
  const client = await RealtimeClient.connect(target.baseUrl, target.orgId, token, "response_format=voice");
  const phone = new Speakerphone(trial.setup);
  let firstAudioAt: number | undefined;
  const deviceClock: { startedAt: number | undefined } = { startedAt: undefined };
  /** The device sample at which something arriving now is heard (the device clock runs from the start). */
  const deviceSampleNow = () =>
    deviceClock.startedAt === undefined ? 0 : Math.floor((performance.now() - deviceClock.startedAt) * 16);
  let userSpeechAt: number | undefined;
  let done = false;
  client.socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) return;
    const message = JSON.parse(data.toString("utf8")) as ServerMessage;
    if (
      message.type === "server.new-message" &&
      typeof message.message === "string" &&
      message.message !== ""
    ) {
      const bytes = Buffer.from(message.message, "base64");
      const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2)).slice();
      phone.play(pcm, deviceSampleNow());
      firstAudioAt ??= performance.now();
      if (message.filler !== true) result.greetingAudioMs += (message.duration_ms as number) ?? 0;
    }
    if (message.type === "server.agent-paused") result.pauses += 1;
    if (message.type === "server.agent-resumed") result.resumes += 1;
    if (message.type === "server.agent-interrupted") {
      phone.flush(deviceSampleNow());
      result.interrupted = true;
      if (userSpeechAt !== undefined) result.speechToInterruptMs = performance.now() - userSpeechAt;
      if (trial.kind === "speech") done = true;
    }
    if (message.type === "server.interaction-complete") {
      result.completed = true;
      done = true;
    }
    if (message.type === "server.error") result.error = String(message.error_description);
    if (process.env.ECHO_BENCH_TRACE !== undefined && !(message.type === "server.new-message"))
      console.log(
        trial.index,
        Math.round(performance.now()),
        message.type,
        JSON.stringify(message).slice(0, 160),
      );
  });
  client.send({
    type: "client.start-conversation",
    service_id: target.serviceId,
    vad_mode: true,
    echo_rejection: echoRejection,
  });
  await client.waitFor((m) => m.type === "server.conversation-created", "the conversation", 30_000);
  const startedAt = performance.now();
  deviceClock.startedAt = startedAt;
  let frames = 0;
  let userOffset = 0;
  try {
    while (!done && performance.now() - startedAt < TRIAL_TIMEOUT_MS) {
      const dueAt = startedAt + (frames + 1) * FRAME_MS;
      const waitMs = dueAt - performance.now();
      // A frame is sent once the device clock has passed its end (a busy client sends it late).
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      else if (waitMs < -FRAME_MS) result.lateFrames += 1;
      let user: Int16Array | undefined;
      const clip = trial.clip;
      if (
        clip !== undefined &&
        firstAudioAt !== undefined &&
        performance.now() - firstAudioAt >= USER_STARTS_AFTER_MS
      ) {
        user = clip.samples.subarray(userOffset, userOffset + FRAME_SAMPLES);
        if (userSpeechAt === undefined && userOffset + FRAME_SAMPLES > clip.speechStartSample)
          userSpeechAt = performance.now() - (userOffset + FRAME_SAMPLES - clip.speechStartSample) / 16;
        userOffset += FRAME_SAMPLES;
      }
      const mic = phone.micFrame(FRAME_SAMPLES, user);
      client.socket.send(Buffer.from(mic.buffer, mic.byteOffset, mic.byteLength));
      frames += 1;
    }
  } finally {
    client.send({ type: "client.close-connection" });
    await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
    client.socket.terminate();
  }
  return result;
}

const server = await startServerProcess();
const results: TrialResult[] = [];
try {
  const { env } = server;
  const target = {
    baseUrl: env.AMIGO_BASE_URL!,
    orgId: env.AMIGO_ORGANIZATION_ID!,
    serviceId: env.AMIGO_SERVICE_ID!,
  };
  const list = trialsOf(Number(values.seed));
  const tokens = await newUserTokens(env, list.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async (_, lane) => {
      await new Promise((resolve) => setTimeout(resolve, lane * 700));
      while (next < list.length) {
        const trial = list[next]!;
        const token = tokens[next]!;
        next += 1;
        const result = await runTrial(target, token, trial);
        results.push(result);
        const s = trial.setup;
        console.log(
          `trial ${String(trial.index).padStart(2)} ${trial.kind.padEnd(6)} delay ${String(s.delayMs).padStart(3)} ms, echo ${(20 * Math.log10(s.echoGain)).toFixed(1)} dB, noise ${(20 * Math.log10(s.noiseRms)).toFixed(0)} dBFS: ${result.interrupted ? "interrupted" : result.completed ? "played out" : "neither"}, pauses ${result.pauses}, resumes ${result.resumes}${result.error === undefined ? "" : `, error: ${result.error}`}`,
        );
      }
    }),
  );
} finally {
  await server.close();
}

const echo = results.filter((r) => r.trial.kind === "echo");
const speech = results.filter((r) => r.trial.kind === "speech");
const rate = (part: number, all: number) =>
  `${part}/${all} (${((100 * part) / Math.max(1, all)).toFixed(0)} %)`;
const notInterrupted = echo.filter((r) => !r.interrupted && r.completed).length;
const interrupted = speech.filter((r) => r.interrupted).length;
const toInterrupt = speech.flatMap((r) =>
  r.speechToInterruptMs === undefined ? [] : [r.speechToInterruptMs],
);
console.log(
  `\nsimulated speakerphone, echo rejection ${echoRejection ? "on" : "off"}, ${trials} + ${trials} trials, seed ${values.seed}`,
);
console.log(
  `echo only: agent not interrupted by its own voice  ${rate(notInterrupted, echo.length)}   (target ≥ 95 %)`,
);
console.log(
  `  paused by its echo ${echo.filter((r) => r.pauses > 0).length} times, resumed ${echo.reduce((n, r) => n + r.resumes, 0)}`,
);
console.log(
  `user speech over the echo: agent interrupted        ${rate(interrupted, speech.length)}   (target ≥ 95 %)`,
);
if (toInterrupt.length > 0)
  console.log(
    `  user speech start → agent-interrupted: p50 ${percentile(toInterrupt, 50).toFixed(0)} ms, p95 ${percentile(toInterrupt, 95).toFixed(0)} ms`,
  );
console.log(
  `greeting audio per trial: p50 ${percentile(
    results.map((r) => r.greetingAudioMs),
    50,
  ).toFixed(0)} ms; late client frames: ${results.reduce((n, r) => n + r.lateFrames, 0)}`,
);
