/**
 * A simulated speakerphone: the client plays the agent's audio through a loudspeaker into the room, and
 * its microphone hears that (delayed, attenuated, band-limited as a small loudspeaker and a room colour
 * it) plus room noise plus the user. Used by the echo-gate tests and bench/echo.ts.
 */

const RATE_HZ = 16_000;

export interface SpeakerphoneSetup {
  /** Loudspeaker to microphone, plus the client's own audio path. 30–150 ms in the benchmark. */
  delayMs: number;
  /** Linear gain of the echo (0.1 = −20 dB). */
  echoGain: number;
  /** RMS of the room noise, full scale = 1. */
  noiseRms: number;
  /** PRNG seed of the noise. */
  seed: number;
}

/** A small deterministic PRNG (mulberry32), for noise and trial set-ups that can be rerun. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A second-order filter section (RBJ cookbook), run sample by sample. */
class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  private constructor(
    private readonly b: [number, number, number],
    private readonly a: [number, number],
  ) {}

  static highPass(cutoffHz: number, q = Math.SQRT1_2): Biquad {
    const w = (2 * Math.PI * cutoffHz) / RATE_HZ;
    const alpha = Math.sin(w) / (2 * q);
    const a0 = 1 + alpha;
    const cos = Math.cos(w);
    return new Biquad(
      [(1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0],
      [(-2 * cos) / a0, (1 - alpha) / a0],
    );
  }

  static lowPass(cutoffHz: number, q = Math.SQRT1_2): Biquad {
    const w = (2 * Math.PI * cutoffHz) / RATE_HZ;
    const alpha = Math.sin(w) / (2 * q);
    const a0 = 1 + alpha;
    const cos = Math.cos(w);
    return new Biquad(
      [(1 - cos) / 2 / a0, (1 - cos) / a0, (1 - cos) / 2 / a0],
      [(-2 * cos) / a0, (1 - alpha) / a0],
    );
  }

  run(x: number): number {
    const y =
      this.b[0] * x + this.b[1] * this.x1 + this.b[2] * this.x2 - this.a[0] * this.y1 - this.a[1] * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/**
 * The client side of a speakerphone call, on the device's steady audio clock (sample by sample):
 * `play` schedules received agent audio at the sample it arrived (or right after the audio before it,
 * as a client's playback queue does), `flush` drops what has not played (the client was told the agent
 * was interrupted), `micFrame` advances the clock by one frame and returns what the microphone hears.
 * Late sending of frames (a busy client) does not move this clock, as it does not move a sound card's.
 */
export class Speakerphone {
  private scheduled: { startSample: number; samples: Int16Array }[] = [];
  private playEndSample = 0;
  private readonly delayLine: Float32Array;
  private delayIndex = 0;
  private readonly filters = [
    Biquad.highPass(300),
    Biquad.highPass(300),
    Biquad.lowPass(3400),
    Biquad.lowPass(3400),
  ];
  private readonly noiseFilter = Biquad.lowPass(1200);
  private readonly random: () => number;
  /** Samples of the device clock so far (the microphone's position). */
  position = 0;

  constructor(private readonly setup: SpeakerphoneSetup) {
    this.delayLine = new Float32Array(Math.max(1, Math.round((setup.delayMs * RATE_HZ) / 1000)));
    this.random = prng(setup.seed);
  }

  /** Agent audio that arrived at device sample `atSample` (default: now). */
  play(samples: Int16Array, atSample = this.position): void {
    if (samples.length === 0) return;
    const startSample = Math.max(atSample, this.position, this.playEndSample);
    this.scheduled.push({ startSample, samples });
    this.playEndSample = startSample + samples.length;
  }

  /** Drops every agent sample not played by device sample `atSample` (default: now). */
  flush(atSample = this.position): void {
    const cut = Math.max(atSample, this.position);
    this.scheduled = this.scheduled
      .filter((s) => s.startSample < cut)
      .map((s) => ({ startSample: s.startSample, samples: s.samples.subarray(0, cut - s.startSample) }));
    this.playEndSample = Math.min(this.playEndSample, cut);
  }

  /** True while received agent audio waits to be played. */
  get playing(): boolean {
    return this.playEndSample > this.position;
  }

  /** One frame of microphone input: the user's samples (if any) plus the echo plus room noise. */
  micFrame(frameSamples: number, user?: Int16Array): Int16Array {
    const out = new Int16Array(frameSamples);
    for (let i = 0; i < frameSamples; i += 1) {
      const played = this.playedSample(this.position) / 32768;
      this.position += 1;
      // The loudspeaker's output reaches the microphone `delayMs` later.
      const delayed = this.delayLine[this.delayIndex]!;
      this.delayLine[this.delayIndex] = played;
      this.delayIndex = (this.delayIndex + 1) % this.delayLine.length;
      let echo = delayed;
      for (const filter of this.filters) echo = filter.run(echo);
      const white = (this.random() + this.random() + this.random() - 1.5) * 2;
      const noise = this.noiseFilter.run(white) * this.setup.noiseRms * 2.2;
      const voice = user === undefined ? 0 : (user[i] ?? 0) / 32768;
      const mixed = voice + echo * this.setup.echoGain + noise;
      out[i] = Math.max(-32768, Math.min(32767, Math.round(mixed * 32768)));
    }
    while (this.scheduled.length > 0) {
      const first = this.scheduled[0]!;
      if (first.startSample + first.samples.length > this.position) break;
      this.scheduled.shift();
    }
    return out;
  }

  private playedSample(at: number): number {
    for (const segment of this.scheduled) {
      const offset = at - segment.startSample;
      if (offset >= 0 && offset < segment.samples.length) return segment.samples[offset]!;
    }
    return 0;
  }
}
