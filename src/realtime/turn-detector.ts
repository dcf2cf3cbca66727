import type { VadFrame } from "../engines/vad/types.js";

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

export type DetectorEvent =
  | { type: "onset"; startMs: number; paddedStartMs: number }
  | { type: "confirmed"; startMs: number; atMs: number }
  | { type: "reset"; reason: "shorter-than-min-speech" }
  | { type: "end"; startMs: number; endMs: number };

/**
 * Speech onsets, confirmations, blips and ends from per-frame speech probabilities: `onset` at the first
 * speech frame; `confirmed` once the speech has lasted `min_speech_ms`; `reset` when it stops before that;
 * `end` after `silence_duration_ms` of silence following confirmed speech.
 */
export class TurnDetector {
  private onsetMs: number | undefined;
  private lastSpeechEndMs = 0;
  private confirmed = false;

  constructor(private readonly settings: VadSettings) {}

  get inSpeech(): boolean {
    return this.onsetMs !== undefined;
  }

  push(frame: VadFrame): DetectorEvent[] {
    const { settings } = this;
    const frameEndMs = frame.startMs + frame.durationMs;
    const events: DetectorEvent[] = [];
    if (frame.probability >= settings.threshold) {
      if (this.onsetMs === undefined) {
        this.onsetMs = frame.startMs;
        events.push({
          type: "onset",
          startMs: frame.startMs,
          paddedStartMs: Math.max(0, frame.startMs - settings.prefix_padding_ms),
        });
      }
      this.lastSpeechEndMs = frameEndMs;
      if (!this.confirmed && this.lastSpeechEndMs - this.onsetMs >= settings.min_speech_ms) {
        this.confirmed = true;
        events.push({ type: "confirmed", startMs: this.onsetMs, atMs: frameEndMs });
      }
    } else if (this.onsetMs !== undefined) {
      const silentMs = frameEndMs - this.lastSpeechEndMs;
      if (this.confirmed && silentMs >= settings.silence_duration_ms) {
        events.push({ type: "end", startMs: this.onsetMs, endMs: this.lastSpeechEndMs });
        this.reset();
      } else if (!this.confirmed && silentMs >= Math.min(BURST_GAP_MS, settings.silence_duration_ms)) {
        events.push({ type: "reset", reason: "shorter-than-min-speech" });
        this.reset();
      }
    }
    return events;
  }

  private reset(): void {
    this.onsetMs = undefined;
    this.confirmed = false;
  }
}
