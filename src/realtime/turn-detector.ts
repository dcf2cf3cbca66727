import type { VadFrame } from "../engines/vad/types.js";
import { median } from "../lib/median.js";

/** VAD-mode settings of a session (the contract's names, in milliseconds). */
export interface VadSettings {
  /** A frame with speech probability ≥ this is speech. Default 0.5. */
  threshold: number;
  /** Audio kept before the onset and given to the recognizer. Default 300 ms. */
  prefix_padding_ms: number;
  /** Silence after confirmed speech that ends the user's turn. Default 500 ms. */
  silence_duration_ms: number;
  /** Speech shorter than this is a blip: no turn, no interruption. Default 200 ms. */
  min_speech_ms: number;
  /** Confirmed speech interrupts the agent's audio. Default true. */
  interrupt_response: boolean;
}

export const DEFAULT_VAD_SETTINGS: VadSettings = {
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
  min_speech_ms: 200,
  interrupt_response: true,
};

/** Before speech is confirmed, a pause this long ends the burst (a click, a breath). */
const BURST_GAP_MS = 100;
/** A speech frame is voiced when its level is above this fraction of the utterance's loudest frame… */
const VOICED_OF_PEAK = 0.04;
/** …and above this multiple of the noise floor (the level of recent non-speech frames). */
const VOICED_OVER_NOISE = 2.5;
/**
 * How fast the noise floor follows non-speech frames (weight of the newest frame): about 60 ms to
 * settle, so a floor that started from digital silence (a client that sends zeros between utterances,
 * or noise suppression) has caught up with the line's noise by the time the next speech starts. A
 * floor that lags below the noise counts the quiet after the words as voice and ends the turn late
 * (by 30–80 ms on the LibriVox clips at a weight of 0.05).
 */
const NOISE_FLOOR_RATE = 0.15;
/**
 * A speech frame is voiced only when it is also above this multiple of the median level of the frames
 * that came after it in the utterance (the quiet after the words, judged against itself). After digital
 * silence the WebRTC VAD calls a recording's own noise speech from its first frame, so no noise floor is
 * learned, and the tail's breath and room noise (4–8 % of the peak) would count as voice for as long as
 * the VAD's hangover lasts: 50–220 ms late ends on the LibriVox clips.
 */
const VOICED_OVER_TAIL = 2.5;
/**
 * A frame is judged against what followed it only once this much audio, not counting digital silence,
 * has followed it: a client that sends zeros after the words (noise suppression) leaves nothing to judge
 * against, and the speech frames before the zeros stay voiced.
 */
const MIN_TAIL_MS = 150;
/** A frame below this RMS level (−78 dBFS) is digital silence. */
const DIGITAL_SILENCE_LEVEL = 4;
/** Frames remembered beyond `silence_duration_ms`, so that the end found is judged against its tail. */
const EXTRA_MEMORY_MS = 300;

/**
 * The RMS level of each VAD frame, computed from the same audio cut into the same frames (the VAD engines
 * frame their input from its first sample, dropping nothing but a trailing partial frame).
 */
export class FrameLevels {
  private readonly levels: number[] = [];
  private firstIndex = 0;
  private pending = new Int16Array(0);

  constructor(private readonly frameSamples: number) {}

  push(samples: Int16Array): void {
    const joined = new Int16Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    let offset = 0;
    for (; offset + this.frameSamples <= joined.length; offset += this.frameSamples) {
      let sum = 0;
      for (let i = offset; i < offset + this.frameSamples; i += 1) sum += joined[i]! * joined[i]!;
      this.levels.push(Math.sqrt(sum / this.frameSamples));
    }
    this.pending = joined.slice(offset);
  }

  /** The level of frame `index` (0 = the stream's first); earlier frames are forgotten. */
  take(index: number): number | undefined {
    while (this.firstIndex < index && this.levels.length > 0) {
      this.levels.shift();
      this.firstIndex += 1;
    }
    if (index !== this.firstIndex || this.levels.length === 0) return undefined;
    this.firstIndex += 1;
    return this.levels.shift();
  }
}

export type DetectorEvent =
  | { type: "onset"; startMs: number; paddedStartMs: number }
  | { type: "confirmed"; startMs: number; atMs: number }
  | { type: "reset"; reason: "shorter-than-min-speech" }
  | { type: "end"; startMs: number; endMs: number };

/**
 * Speech onsets, confirmations, blips and ends from per-frame speech probabilities: `onset` at the first
 * speech frame; `confirmed` once the speech has lasted `min_speech_ms`; `reset` when it stops before that;
 * `end` after `silence_duration_ms` of silence following confirmed speech.
 *
 * Silence is counted from the end of the last *voiced* frame: a speech frame whose level (when given) is
 * above 4 % of the utterance's loudest frame, 2.5 × the noise floor, and (once 150 ms of sound has
 * followed it) 2.5 × the median level of what followed. The VAD keeps deciding "speech" for 100-200 ms
 * after the voice stops (its hangover); the level marks where the voice really ended, so the turn ends
 * `silence_duration_ms` after it.
 */
export class TurnDetector {
  private onsetMs: number | undefined;
  private lastSpeechEndMs = 0;
  private lastVoicedEndMs = 0;
  /**
   * The utterance's latest frames with their levels (`silence_duration_ms` and 300 ms more), oldest
   * first; `voiced` by the peak and noise-floor rule.
   */
  private recent: { startMs: number; endMs: number; level: number; voiced: boolean }[] = [];
  private peakLevel = 0;
  private noiseLevel: number | undefined;
  private confirmed = false;
  /**
   * Set when a turn ended while the VAD still says "speech" (its hangover): until a non-speech frame,
   * only frames louder than this level start new speech. Undefined when not waiting.
   */
  private hangoverLevel: number | undefined;

  constructor(private readonly settings: VadSettings) {}

  get inSpeech(): boolean {
    return this.onsetMs !== undefined;
  }

  /** One frame's probability, and its RMS level when known; the events it causes. */
  push(frame: VadFrame, level?: number): DetectorEvent[] {
    const { settings } = this;
    const frameEndMs = frame.startMs + frame.durationMs;
    const events: DetectorEvent[] = [];
    let isSpeech = frame.probability >= settings.threshold;
    // A speech frame above the peak and noise-floor limits (see the class comment).
    let voiced = false;
    if (this.hangoverLevel !== undefined) {
      if (!isSpeech) this.hangoverLevel = undefined;
      else if (level === undefined || level <= this.hangoverLevel) isSpeech = false;
      else this.hangoverLevel = undefined;
    }
    if (!isSpeech && level !== undefined && this.onsetMs === undefined)
      this.noiseLevel =
        this.noiseLevel === undefined
          ? level
          : this.noiseLevel + NOISE_FLOOR_RATE * (level - this.noiseLevel);
    if (isSpeech) {
      if (this.onsetMs === undefined) {
        this.peakLevel = 0;
        // The onset frame counts as voice whatever its level.
        voiced = true;
        this.onsetMs = frame.startMs;
        events.push({
          type: "onset",
          startMs: frame.startMs,
          paddedStartMs: Math.max(0, frame.startMs - settings.prefix_padding_ms),
        });
      }
      this.lastSpeechEndMs = frameEndMs;
      if (level !== undefined) this.peakLevel = Math.max(this.peakLevel, level);
      const floor = Math.max(VOICED_OF_PEAK * this.peakLevel, VOICED_OVER_NOISE * (this.noiseLevel ?? 0));
      if (level === undefined || level > floor) voiced = true;
      if (voiced) this.lastVoicedEndMs = frameEndMs;
      if (!this.confirmed && this.lastSpeechEndMs - this.onsetMs >= settings.min_speech_ms) {
        this.confirmed = true;
        events.push({ type: "confirmed", startMs: this.onsetMs, atMs: frameEndMs });
      }
    }
    if (this.onsetMs !== undefined && level !== undefined)
      this.remember(frame.startMs, frameEndMs, level, voiced);
    if (this.onsetMs !== undefined && this.confirmed) {
      const voicedEndMs = this.voicedEndMs();
      if (frameEndMs - voicedEndMs >= settings.silence_duration_ms) {
        events.push({ type: "end", startMs: this.onsetMs, endMs: voicedEndMs });
        if (isSpeech)
          this.hangoverLevel = Math.max(
            VOICED_OF_PEAK * this.peakLevel,
            VOICED_OVER_NOISE * (this.noiseLevel ?? 0),
          );
        this.reset();
      }
    } else if (!isSpeech && this.onsetMs !== undefined) {
      const silentMs = frameEndMs - this.lastSpeechEndMs;
      if (silentMs >= Math.min(BURST_GAP_MS, settings.silence_duration_ms)) {
        events.push({ type: "reset", reason: "shorter-than-min-speech" });
        this.reset();
      }
    }
    return events;
  }

  private remember(startMs: number, endMs: number, level: number, voiced: boolean): void {
    this.recent.push({ startMs, endMs, level, voiced });
    const oldestMs = endMs - this.settings.silence_duration_ms - EXTRA_MEMORY_MS;
    while (this.recent.length > 0 && this.recent[0]!.endMs <= oldestMs) this.recent.shift();
  }

  /**
   * Where the voice last ended: the newest remembered voiced frame that is also loud against the frames
   * after it (or has too little after it to be judged so); when none is, no later than the first
   * remembered frame.
   */
  private voicedEndMs(): number {
    const { recent } = this;
    // Scanning back from the newest frame, the frames passed so far are the tail of the next one.
    const tailLevels: number[] = [];
    let tailMs = 0;
    for (let i = recent.length - 1; i >= 0; i -= 1) {
      const frame = recent[i]!;
      if (frame.voiced && (tailMs < MIN_TAIL_MS || frame.level > VOICED_OVER_TAIL * median(tailLevels)))
        return frame.endMs;
      if (frame.level >= DIGITAL_SILENCE_LEVEL) {
        tailLevels.push(frame.level);
        tailMs += frame.endMs - frame.startMs;
      }
    }
    return recent.length === 0 ? this.lastVoicedEndMs : Math.min(this.lastVoicedEndMs, recent[0]!.startMs);
  }

  private reset(): void {
    this.onsetMs = undefined;
    this.confirmed = false;
    this.recent = [];
  }
}
