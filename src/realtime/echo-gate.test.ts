import { describe, expect, it } from "vitest";
import { WebRtcVadEngine } from "../engines/vad/webrtc/engine.js";
import { prng, Speakerphone } from "../../test/helpers/speakerphone.js";
import { librivoxClips, readPcm16Wav } from "../../test/helpers/speech-corpus.js";
import { correlations, EchoGate, solveToeplitz } from "./echo-gate.js";
import { EchoReference } from "./echo-reference.js";
import { DEFAULT_VAD_SETTINGS, TurnDetector } from "./turn-detector.js";

const FRAME_SAMPLES = 320;
const clips = librivoxClips();
const agentVoice = readPcm16Wav(clips[0]!.wavPath).samples;
const userVoice = readPcm16Wav(clips[3]!.wavPath).samples;

/**
 * Plays the agent's audio into a simulated speakerphone for `durationMs` on a virtual clock (20 ms
 * frames, each arriving when it ends, some late) and returns the microphone input, raw and through the gate. The
 * user's clip starts at `userFromMs` when given; from `mutedFromMs` the microphone sends digital silence.
 */
function call(
  setup: { delayMs: number; echoGain: number; mutedFromMs?: number },
  durationMs: number,
  userFromMs?: number,
) {
  const phone = new Speakerphone({ ...setup, noiseRms: 0.003, seed: 7 });
  const reference = new EchoReference();
  const gate = new EchoGate(reference);
  // The server sends the agent's audio at once; the client plays it back to back from time 0.
  reference.record(agentVoice, 0);
  phone.play(agentVoice);
  const raw: Int16Array[] = [];
  const cleaned: Int16Array[] = [];
  // Frames reach the server up to 40 ms late (network and scheduling), one in ten of them.
  const random = prng(11);
  for (let frame = 0; frame * 20 < durationMs; frame += 1) {
    const atMs = frame * 20;
    const userStart = userFromMs === undefined ? undefined : ((atMs - userFromMs) * 16_000) / 1000;
    const user =
      userStart === undefined || userStart < 0
        ? undefined
        : userVoice.subarray(userStart, userStart + FRAME_SAMPLES);
    const heard = phone.micFrame(FRAME_SAMPLES, user);
    const mic = atMs >= (setup.mutedFromMs ?? Infinity) ? new Int16Array(FRAME_SAMPLES) : heard;
    raw.push(mic);
    const lateMs = random() < 0.1 ? random() * 40 : random() * 2;
    cleaned.push(gate.process(mic, atMs + 20 + lateMs).cleaned);
  }
  return { raw, cleaned, gate };
}

/** Confirmed speech onsets (ms) that the session's VAD and turn detector find in `frames`. */
async function confirmedSpeech(frames: Int16Array[]): Promise<number[]> {
  const vad = new WebRtcVadEngine();
  const detector = new TurnDetector(DEFAULT_VAD_SETTINGS);
  const confirmed: number[] = [];
  async function* input() {
    yield* frames;
  }
  for await (const frame of vad.process(input(), { signal: new AbortController().signal })) {
    for (const event of detector.push(frame)) if (event.type === "confirmed") confirmed.push(event.startMs);
  }
  return confirmed;
}

function rms(frames: Int16Array[]): number {
  let sum = 0;
  let count = 0;
  for (const frame of frames) {
    for (const s of frame) sum += s * s;
    count += frame.length;
  }
  return Math.sqrt(sum / count);
}

describe("EchoGate", () => {
  it.each([
    { delayMs: 40, echoGain: 0.5 },
    { delayMs: 90, echoGain: 0.3 },
    { delayMs: 145, echoGain: 0.2 },
  ])(
    "takes the agent's own echo out, so the VAD hears no speech ($delayMs ms, gain $echoGain)",
    async (setup) => {
      const { raw, cleaned, gate } = call(setup, 5000);
      // Without the gate the echo is speech to the VAD: the test would fail if the gate let it through.
      expect((await confirmedSpeech(raw)).length).toBeGreaterThan(0);
      expect(gate.delayMs).toBeGreaterThanOrEqual(setup.delayMs - 10);
      expect(gate.delayMs).toBeLessThanOrEqual(setup.delayMs + 10);
      // Past the first second (the delay is found within it), at most a tenth of the echo's energy is
      // left (−10 dB or better) over the room's noise.
      const noise = call({ ...setup, echoGain: 0 }, 5000).raw;
      const [left, noiseLevel, before] = [cleaned, noise, raw].map((frames) => rms(frames.slice(50)) ** 2);
      expect(left! - noiseLevel!).toBeLessThan((before! - noiseLevel!) / 10);
      expect(await confirmedSpeech(cleaned.slice(50))).toEqual([]);
    },
  );

  it("lets a user speaking over the echo through", async () => {
    const { raw, cleaned } = call({ delayMs: 90, echoGain: 0.3 }, 5000, 2000);
    expect(await confirmedSpeech(cleaned.slice(50))).not.toEqual([]);
    // The user's part keeps most of its energy.
    const userFrames = Math.floor(2500 / 20);
    expect(rms(cleaned.slice(userFrames))).toBeGreaterThan(rms(raw.slice(userFrames)) * 0.5);
  });

  it("never puts the agent's voice into input that holds no echo of it (a headset user)", () => {
    // Broke once: a delay found by chance made the gate subtract a prediction from silence, so the
    // recognizer heard the agent's own words in the user's turn.
    const { raw, cleaned } = call({ delayMs: 90, echoGain: 0 }, 5000, 500);
    raw.forEach((frame, i) => {
      const before = frame.reduce((n, x) => n + x * x, 0);
      const after = cleaned[i]!.reduce((n, x) => n + x * x, 0);
      expect(after).toBeLessThanOrEqual(before);
    });
    expect(rms(cleaned)).toBeGreaterThan(rms(raw) * 0.8);
  });

  it("looks for the echo's delay at the slower pace once 5 measurements in a row found none (a headset)", () => {
    // 6 s of agent audio with room noise and no echo: every 100 ms would be 60 measurements.
    const { gate } = call({ delayMs: 90, echoGain: 0 }, 6000);
    expect(gate.delayMeasurements).toBeGreaterThanOrEqual(5);
    expect(gate.delayMeasurements).toBeLessThanOrEqual(20);
    // With an echo the delay is found as before.
    expect(call({ delayMs: 90, echoGain: 0.3 }, 6000).gate.delayMs).toBeCloseTo(90, -1);
  });

  it("fits no echo path to digital silence (a muted microphone)", () => {
    // Echo until 2.5 s, then silence; the fit's 300 ms window is all silence from 2.8 s on.
    const setup = { delayMs: 90, echoGain: 0.3, mutedFromMs: 2500 };
    const fitsByMuting = call(setup, 2800).gate.echoPathFits;
    expect(fitsByMuting).toBeGreaterThan(10);
    // 3.2 s more of agent audio would be 32 more fits, one every 100 ms.
    expect(call(setup, 6000).gate.echoPathFits).toBe(fitsByMuting);
  });

  it("leaves the input alone while no agent audio plays", () => {
    const reference = new EchoReference();
    const gate = new EchoGate(reference);
    const input = userVoice.subarray(0, FRAME_SAMPLES);
    expect(gate.process(input, 20)).toEqual({ cleaned: input, echoShare: 0 });
  });
});

describe("solveToeplitz", () => {
  it("solves a symmetric Toeplitz system", () => {
    const r = Float64Array.from([4, 1, 0.5, 0.25]);
    const x = Float64Array.from([1, -2, 3, 0.5]);
    const b = new Float64Array(4);
    for (let i = 0; i < 4; i += 1) for (let j = 0; j < 4; j += 1) b[i] = b[i]! + r[Math.abs(i - j)]! * x[j]!;
    const solved = solveToeplitz(r, b);
    for (let i = 0; i < 4; i += 1) expect(solved[i]).toBeCloseTo(x[i]!, 9);
  });
});

describe("correlations", () => {
  it("gives the fit's autocorrelation and cross-correlation sums, as summed directly", () => {
    const taps = 160;
    const random = prng(3);
    const input = Float32Array.from({ length: 4800 }, () => random() - 0.5);
    const ref = Float32Array.from({ length: 4800 + taps - 1 }, () => random() - 0.5);
    const { autocorrelation, cross } = correlations(input, ref);
    for (let lag = 0; lag < taps; lag += 7) {
      let sum = 0;
      for (let i = taps - 1; i < ref.length - lag; i += 1) sum += ref[i]! * ref[i + lag]!;
      expect(autocorrelation[lag]).toBeCloseTo(sum, 6);
    }
    for (let j = 0; j < taps; j += 7) {
      let sum = 0;
      for (let t = 0; t < input.length; t += 1) sum += input[t]! * ref[t + taps - 1 - j]!;
      expect(cross[j]).toBeCloseTo(sum, 6);
    }
  });
});
