import { fft, twoRealSpectra } from "../lib/fft.js";
import { median } from "../lib/median.js";
import type { EchoReference } from "./echo-reference.js";

const RATE_HZ = 16_000;
const SAMPLES_PER_MS = RATE_HZ / 1000;
/** Longest echo delay looked for (loudspeaker, room, client buffers). */
const MAX_DELAY_MS = 400;
/** Input audio compared with the agent's to find the delay. */
const DELAY_WINDOW_SAMPLES = 8192;
const DELAY_FFT_SIZE = 16_384;
/**
 * The delay is measured this often while agent audio plays (it moves with the client's clock, and can
 * jump when the client restarts playback)…
 */
const DELAY_EVERY_MS = 100;
/**
 * …and this often once the stretch of agent audio has had 5 measurements and either the last 5 agree
 * within 1 ms (a clock drifts about 1 ms in 10 s) or the last 3 fits explained too little of the input
 * to be echo (a headset, or a user louder than the echo), or once 5 measurements in a row found no echo
 * at all (a headset, or a browser that cancels the echo itself): each measurement costs two 16k-point
 * FFTs, a few per cent of a core at the faster pace.
 */
const SETTLED_DELAY_EVERY_MS = 500;
const SETTLED_SPREAD_SAMPLES = 16;
/** Measurements in a row that found no echo, after which the delay is looked for at the slower pace. */
const SETTLED_AFTER_MISSES = 5;
/** A GCC-PHAT peak below this (of 1) is no evidence of echo. */
const MIN_DELAY_PEAK = 0.08;
/**
 * Echo-path filter taps (10 ms), starting this many samples (3 ms) before the measured delay: room for
 * the loudspeaker's colouring and for a few milliseconds of error in the delay.
 */
const TAPS = 160;
const TAPS_BEFORE_DELAY = 48;
/** Samples over which the echo path is fitted, and how often it is fitted again. */
const FIT_WINDOW_SAMPLES = 4800;
const FIT_EVERY_SAMPLES = 1600;
/** Transform size for the fit's correlations: room for the window and its reference without wrapping. */
const FIT_FFT_SIZE = 8192;
/**
 * A fitted echo path that explains less than this share of the input's energy over its window is no
 * evidence of echo (a delay found by chance, or a user much louder than the echo): it is not used.
 */
const MIN_FIT_SHARE = 0.2;
/** Input kept for measuring and fitting. */
const HISTORY_SAMPLES = DELAY_WINDOW_SAMPLES + FIT_WINDOW_SAMPLES;
/**
 * Arrivals kept for mapping input samples to the server clock. A client's audio clock is steady, so the
 * earliest arrival is the truth and lateness (a busy client or server) only ever adds; a long window
 * keeps the mapping through seconds of lateness, and is short enough for clock drift (≈ 1 ms per 10 s
 * at 100 ppm).
 */
const CLOCK_WINDOW_MS = 10_000;

/** What the gate made of one piece of input. */
export interface GatedInput {
  /** The input with the agent's echo taken out (and what is left of it damped). */
  cleaned: Int16Array;
  /** Share (0..1) of the input's energy that the agent's echo explains. */
  echoShare: number;
}

/** Tuning of the gate; the defaults were measured with bench/echo.ts. */
export interface EchoGateOptions {
  /**
   * A 10 ms block whose residual (input minus predicted echo) has less than this share of the predicted
   * echo's energy is the echo's leftover, not a user: it is damped by `residualGain`. Default 0.3
   * (a user speaking more than 5 dB below the echo is damped too).
   */
  suppressBelowEchoShare: number;
  /** Gain on such a block's residual. Default 0.1 (−20 dB). */
  residualGain: number;
}

export const DEFAULT_ECHO_GATE_OPTIONS: EchoGateOptions = { suppressBelowEchoShare: 0.3, residualGain: 0.1 };

/** Samples per block of the residual damping. */
const DAMPING_BLOCK_SAMPLES = 160;

/**
 * Server-side echo rejection for one session. The server knows what the client plays (`EchoReference`);
 * the gate finds the echo's delay in the input (GCC-PHAT over the speech band), fits a 10 ms echo-path
 * filter around that delay by least squares (the loudspeaker's and the room's colouring and level), and
 * subtracts the predicted echo from the input. A 10 ms block left with much less than the predicted
 * echo's energy is the echo's leftover and is damped further,
 * so neither the VAD nor the recognizer takes the agent's own voice for the user; a user speaking over
 * it is not explained by the agent's audio and passes.
 *
 * Input samples are placed on the server clock from their arrival: the earliest arrival, relative to the
 * samples received, over the last 10 s (late chunks do not move the clock).
 */
export class EchoGate {
  private readonly history = new Float32Array(HISTORY_SAMPLES);
  private totalSamples = 0;
  private readonly arrivals: { atMs: number; offsetMs: number }[] = [];
  private delaySamples: number | undefined;
  private readonly recentDelays: number[] = [];
  private lastDelayAtMs = Number.NEGATIVE_INFINITY;
  /** Delay measurements since the current stretch of agent audio began. */
  private delaysThisStretch = 0;
  /** Measurements in a row, this stretch, whose peak was too weak to be an echo's. */
  private missesInRow = 0;
  private measurementsMade = 0;
  private fitsMade = 0;
  private agentPlaying = false;
  /** Fits in a row that explained too little of the input to be an echo's. */
  private fitsWithoutEcho = 0;
  private filter: Float64Array | undefined;
  /**
   * The clock offset the filter was fitted with: kept until the next fit, since a filter is only valid
   * for the alignment it was fitted at (a millisecond off ruins the cancellation of high frequencies).
   */
  private fitOffsetMs = 0;
  /** The echo delay the filter was fitted at. */
  private fitDelaySamples = 0;
  private samplesSinceFit = Number.POSITIVE_INFINITY;

  constructor(
    private readonly reference: EchoReference,
    private readonly options: EchoGateOptions = DEFAULT_ECHO_GATE_OPTIONS,
  ) {}

  /** Delay measurements (GCC-PHAT, two 16k-point FFTs each) made so far. */
  get delayMeasurements(): number {
    return this.measurementsMade;
  }

  /** Echo-path fits (three 8k-point FFTs and a Levinson solve each) made so far. */
  get echoPathFits(): number {
    return this.fitsMade;
  }

  /** The echo delay found, in milliseconds (undefined until found). */
  get delayMs(): number | undefined {
    return this.delaySamples === undefined ? undefined : this.delaySamples / SAMPLES_PER_MS;
  }

  /** Input samples (16 kHz mono) that arrived at `arrivedAtMs` on the server clock. */
  process(samples: Int16Array, arrivedAtMs: number): GatedInput {
    const startSample = this.totalSamples;
    this.remember(samples);
    this.noteArrival(arrivedAtMs);
    const startMs = this.wallMsOf(startSample);
    const endMs = this.wallMsOf(this.totalSamples);
    if (!this.reference.playsBetween(startMs - MAX_DELAY_MS - 100, endMs)) {
      this.agentPlaying = false;
      return { cleaned: samples, echoShare: 0 };
    }
    if (!this.agentPlaying) {
      this.agentPlaying = true;
      this.delaysThisStretch = 0;
      this.missesInRow = 0;
    }
    if (arrivedAtMs - this.lastDelayAtMs >= (this.delaySettled() ? SETTLED_DELAY_EVERY_MS : DELAY_EVERY_MS)) {
      this.lastDelayAtMs = arrivedAtMs;
      this.measureDelay();
    }
    if (this.delaySamples === undefined) return { cleaned: samples, echoShare: 0 };
    this.samplesSinceFit += samples.length;
    if (this.samplesSinceFit >= FIT_EVERY_SAMPLES) {
      // The echo path stays as it was when the window holds too little agent audio to fit it again
      // (the agent just resumed after a pause, or starts a new reply); with no path yet, the next input
      // tries again. A fit that explains too little (no echo in the input) waits for the next period.
      const fit = this.fitEchoPath();
      if (fit !== "no-reference") {
        this.filter = fit;
        this.fitsWithoutEcho = fit === undefined ? this.fitsWithoutEcho + 1 : 0;
        this.samplesSinceFit = 0;
      } else if (this.filter !== undefined) this.samplesSinceFit = 0;
    }
    return this.cancel(samples, startSample);
  }

  private remember(samples: Int16Array): void {
    const keep = this.history.length;
    if (samples.length >= keep) {
      for (let i = 0; i < keep; i += 1) this.history[i] = samples[samples.length - keep + i]! / 32768;
    } else {
      this.history.copyWithin(0, samples.length);
      for (let i = 0; i < samples.length; i += 1)
        this.history[keep - samples.length + i] = samples[i]! / 32768;
    }
    this.totalSamples += samples.length;
  }

  private noteArrival(arrivedAtMs: number): void {
    this.arrivals.push({ atMs: arrivedAtMs, offsetMs: arrivedAtMs - this.totalSamples / SAMPLES_PER_MS });
    while (this.arrivals.length > 1 && this.arrivals[0]!.atMs < arrivedAtMs - CLOCK_WINDOW_MS)
      this.arrivals.shift();
  }

  /** Server-clock time at which input sample `n` was captured. */
  private wallMsOf(n: number, offsetMs = this.clockOffsetMs()): number {
    return n / SAMPLES_PER_MS + offsetMs;
  }

  private clockOffsetMs(): number {
    let offsetMs = Number.POSITIVE_INFINITY;
    for (const arrival of this.arrivals) offsetMs = Math.min(offsetMs, arrival.offsetMs);
    return offsetMs;
  }

  /** The last `count` input samples (`count` ≤ history). */
  private recentInput(count: number): Float32Array {
    return this.history.subarray(this.history.length - count);
  }

  private delaySettled(): boolean {
    if (this.missesInRow >= SETTLED_AFTER_MISSES) return true;
    if (this.delaysThisStretch < 5) return false;
    if (this.fitsWithoutEcho >= 3) return true;
    return Math.max(...this.recentDelays) - Math.min(...this.recentDelays) <= SETTLED_SPREAD_SAMPLES;
  }

  /** GCC-PHAT between the last 512 ms of input and the agent audio that could have made it. */
  private measureDelay(): void {
    const windowSamples = Math.min(DELAY_WINDOW_SAMPLES, this.totalSamples);
    if (windowSamples < 2048) return;
    const input = this.recentInput(windowSamples);
    const maxLag = MAX_DELAY_MS * SAMPLES_PER_MS;
    const windowStartMs = this.wallMsOf(this.totalSamples - windowSamples);
    const ref = this.reference.samplesFrom(windowStartMs - MAX_DELAY_MS, windowSamples + maxLag);
    if (energy(input) === 0 || energy(ref) === 0) return;
    this.measurementsMade += 1;
    // One transform holds two real signals: input (real part) and agent audio (imaginary part).
    const [bothRe, bothIm, rRe, rIm] = scratch(DELAY_FFT_SIZE, 4);
    bothRe.set(input);
    bothIm.set(ref);
    fft(bothRe, bothIm);
    // Cross-spectrum R·conj(X), whitened (PHAT) and kept to the speech band a loudspeaker passes.
    const lowBin = Math.ceil((250 * DELAY_FFT_SIZE) / RATE_HZ);
    const highBin = Math.floor((3800 * DELAY_FFT_SIZE) / RATE_HZ);
    for (let k = 0; k < DELAY_FFT_SIZE; k += 1) {
      const bin = k <= DELAY_FFT_SIZE / 2 ? k : DELAY_FFT_SIZE - k;
      if (bin < lowBin || bin > highBin) continue;
      const { xRe, xIm, rRe: refRe, rIm: refIm } = twoRealSpectra(bothRe, bothIm, k);
      const re = refRe * xRe + refIm * xIm;
      const im = refIm * xRe - refRe * xIm;
      const magnitude = Math.hypot(re, im);
      if (magnitude <= 1e-12) continue;
      rRe[k] = re / magnitude;
      rIm[k] = im / magnitude;
    }
    fft(rRe, rIm, true);
    const bins = 2 * (highBin - lowBin + 1);
    let bestK = 0;
    let best = Number.NEGATIVE_INFINITY;
    for (let k = 0; k <= maxLag; k += 1) {
      if (rRe[k]! > best) {
        best = rRe[k]!;
        bestK = k;
      }
    }
    if (best / bins < MIN_DELAY_PEAK) {
      this.missesInRow += 1;
      return;
    }
    this.missesInRow = 0;
    // c[k] = Σ x(t)·ref(t + k): the input at t echoes the agent audio MAX_DELAY_MS − k earlier.
    this.delaysThisStretch += 1;
    this.recentDelays.push(maxLag - bestK);
    if (this.recentDelays.length > 5) this.recentDelays.shift();
    const delaySamples = median(this.recentDelays);
    // A new delay needs a new fit (the old filter is aligned to the old one).
    if (delaySamples !== this.delaySamples) this.samplesSinceFit = Number.POSITIVE_INFINITY;
    this.delaySamples = delaySamples;
  }

  /**
   * The agent audio behind input samples [n0, n0 + count), TAPS − 1 samples earlier included, for an
   * echo delay and a clock offset.
   */
  private alignedReference(
    n0: number,
    count: number,
    delaySamples = this.fitDelaySamples,
    offsetMs = this.fitOffsetMs,
  ): Float32Array {
    const leadMs = (delaySamples - TAPS_BEFORE_DELAY + TAPS - 1) / SAMPLES_PER_MS;
    return this.reference.samplesFrom(this.wallMsOf(n0, offsetMs) - leadMs, count + TAPS - 1);
  }

  /**
   * Least-squares echo-path filter over the last FIT_WINDOW_SAMPLES (Toeplitz normal equations):
   * undefined when it explains too little of the input to be an echo's, "no-reference" when the window
   * holds too little agent audio to tell.
   */
  private fitEchoPath(): Float64Array | undefined | "no-reference" {
    const count = Math.min(FIT_WINDOW_SAMPLES, this.totalSamples);
    if (count < TAPS * 8) return "no-reference";
    const offsetMs = this.clockOffsetMs();
    const delaySamples = this.delaySamples!;
    const input = this.recentInput(count);
    const ref = this.alignedReference(this.totalSamples - count, count, delaySamples, offsetMs);
    if (energy(ref.subarray(TAPS - 1)) < 1e-6) return "no-reference";
    // Digital silence (a muted microphone, a client's noise suppression) holds no echo to explain.
    const inputEnergy = energy(input);
    if (inputEnergy === 0) return undefined;
    this.fitsMade += 1;
    const { autocorrelation, cross } = correlations(input, ref);
    autocorrelation[0] = autocorrelation[0]! * 1.001 + 1e-6;
    const filter = solveToeplitz(autocorrelation, cross);
    // The share of the window's energy the filter explains: h·p / Σx² for a least-squares fit.
    let explained = 0;
    for (let j = 0; j < TAPS; j += 1) explained += filter[j]! * cross[j]!;
    if (explained / inputEnergy < MIN_FIT_SHARE) return undefined;
    this.fitOffsetMs = offsetMs;
    this.fitDelaySamples = delaySamples;
    return filter;
  }

  private cancel(samples: Int16Array, startSample: number): GatedInput {
    const filter = this.filter;
    if (filter === undefined) return { cleaned: samples, echoShare: 0 };
    const ref = this.alignedReference(startSample, samples.length);
    const residual = new Float32Array(samples.length);
    const cleaned = new Int16Array(samples.length);
    let inputEnergy = 0;
    let residualEnergy = 0;
    for (let block = 0; block < samples.length; block += DAMPING_BLOCK_SAMPLES) {
      const end = Math.min(samples.length, block + DAMPING_BLOCK_SAMPLES);
      let blockEcho = 0;
      let blockResidual = 0;
      let blockInput = 0;
      for (let t = block; t < end; t += 1) {
        let echo = 0;
        for (let j = 0; j < TAPS; j += 1) echo += filter[j]! * ref[t + TAPS - 1 - j]!;
        const x = samples[t]! / 32768;
        residual[t] = x - echo;
        inputEnergy += x * x;
        blockInput += x * x;
        blockEcho += echo * echo;
        blockResidual += residual[t]! * residual[t]!;
      }
      // Subtracting must never add energy: where it would, the prediction is wrong, and the input
      // goes on as it came.
      if (blockResidual >= blockInput) {
        residualEnergy += blockInput;
        cleaned.set(samples.subarray(block, end), block);
        continue;
      }
      residualEnergy += blockResidual;
      const gain =
        blockResidual < this.options.suppressBelowEchoShare * blockEcho ? this.options.residualGain : 1;
      for (let t = block; t < end; t += 1) {
        cleaned[t] = Math.max(-32768, Math.min(32767, Math.round(residual[t]! * gain * 32768)));
      }
    }
    const echoShare = inputEnergy === 0 ? 0 : Math.max(0, Math.min(1, 1 - residualEnergy / inputEnergy));
    return { cleaned, echoShare };
  }
}

/**
 * The normal equations of the echo-path fit, by FFT (half the time of summing 160 lags over the
 * window): `autocorrelation[lag]` = Σ ref[i]·ref[i + lag] over the window's part of `ref` (from
 * TAPS − 1 on), and `cross[j]` = Σ input[t]·ref[t + TAPS − 1 − j]. `ref` holds `input.length + TAPS − 1`
 * samples.
 */
export function correlations(
  input: Float32Array,
  ref: Float32Array,
): { autocorrelation: Float64Array; cross: Float64Array } {
  const n = FIT_FFT_SIZE;
  const [bothRe, bothIm, windowRe, windowIm, outRe, outIm] = scratch(n, 6);
  // One transform holds two real signals: input (real part) and ref (imaginary part).
  bothRe.set(input);
  bothIm.set(ref);
  fft(bothRe, bothIm);
  windowRe.set(ref.subarray(TAPS - 1));
  fft(windowRe, windowIm);
  // Cross spectrum conj(X)·R (real part of the result) plus i·|W|² (imaginary part): one inverse.
  for (let k = 0; k < n; k += 1) {
    const { xRe, xIm, rRe, rIm } = twoRealSpectra(bothRe, bothIm, k);
    outRe[k] = xRe * rRe + xIm * rIm;
    outIm[k] = xRe * rIm - xIm * rRe + windowRe[k]! * windowRe[k]! + windowIm[k]! * windowIm[k]!;
  }
  fft(outRe, outIm, true);
  const autocorrelation = new Float64Array(TAPS);
  const cross = new Float64Array(TAPS);
  for (let lag = 0; lag < TAPS; lag += 1) {
    autocorrelation[lag] = outIm[lag]! / n;
    cross[TAPS - 1 - lag] = outRe[lag]! / n;
  }
  return { autocorrelation, cross };
}

type WorkArrays = [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];

/**
 * Work arrays per transform size, shared by every gate on this thread (each use is synchronous): the
 * gate would otherwise allocate up to 400 kB per fit, ten fits a second per session.
 */
const scratchBySize = new Map<number, WorkArrays>();

/** The shared work arrays of `size`, the first `count` of them zeroed. */
function scratch(size: number, count: number): WorkArrays {
  let arrays = scratchBySize.get(size);
  if (arrays === undefined) {
    const make = () => new Float64Array(size);
    arrays = [make(), make(), make(), make(), make(), make()];
    scratchBySize.set(size, arrays);
  }
  for (let i = 0; i < count; i += 1) arrays[i]!.fill(0);
  return arrays;
}

function energy(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return sum;
}

/** Solves the symmetric Toeplitz system T·x = b (first row `r`) by Levinson recursion. */
export function solveToeplitz(r: Float64Array, b: Float64Array): Float64Array {
  const n = r.length;
  const x = new Float64Array(n);
  let forward = new Float64Array(n);
  forward[0] = 1 / r[0]!;
  x[0] = b[0]! / r[0]!;
  for (let k = 1; k < n; k += 1) {
    let errorForward = 0;
    for (let i = 0; i < k; i += 1) errorForward += r[k - i]! * forward[i]!;
    const scale = 1 / (1 - errorForward * errorForward);
    const next = new Float64Array(n);
    for (let i = 0; i <= k; i += 1) {
      const f = i < k ? forward[i]! : 0;
      const backward = k - i < k ? forward[k - i]! : 0;
      next[i] = scale * f - errorForward * scale * backward;
    }
    forward = next;
    let errorX = 0;
    for (let i = 0; i < k; i += 1) errorX += r[k - i]! * x[i]!;
    const correction = b[k]! - errorX;
    for (let i = 0; i <= k; i += 1) x[i] = x[i]! + correction * forward[k - i]!;
  }
  return x;
}
