import type { VadFrame } from "../../engines/vad/types.js";

/** Endpointing tunables. */
export interface EndpointerOptions {
  /** A frame with probability ≥ this is speech. Default 0.5. */
  threshold?: number;
  /** Audio kept before the detected onset, reported as `paddedStartMs`. Default 300 ms. */
  prefixPaddingMs?: number;
  /** Speech ends after this much continuous non-speech. Default 600 ms. */
  silenceDurationMs?: number;
  /** Bursts shorter than this (onset to last speech frame) are not speech. Default 200 ms. */
  minSpeechMs?: number;
  /** Before speech is confirmed, a pause this long ends the burst (breaths, clicks). Default 100 ms. */
  burstGapMs?: number;
}

export type EndpointEvent =
  | { type: "speech-start"; startMs: number; paddedStartMs: number }
  | { type: "speech-end"; startMs: number; endMs: number };

/**
 * Turns per-frame speech probabilities into speech-start / speech-end events. A start is reported once
 * the speech has lasted `minSpeechMs` (with no pause of `burstGapMs` before that); the end is reported
 * after `silenceDurationMs` of non-speech, with `endMs` at the end of the last speech frame.
 */
export async function* endpoint(
  frames: AsyncIterable<VadFrame>,
  options: EndpointerOptions = {},
): AsyncIterable<EndpointEvent> {
  const threshold = options.threshold ?? 0.5;
  const prefixPaddingMs = options.prefixPaddingMs ?? 300;
  const silenceDurationMs = options.silenceDurationMs ?? 600;
  const minSpeechMs = options.minSpeechMs ?? 200;
  const burstGapMs = Math.min(options.burstGapMs ?? 100, silenceDurationMs);
  let onsetMs: number | undefined;
  let lastSpeechEndMs = 0;
  let confirmed = false;
  for await (const frame of frames) {
    const frameEndMs = frame.startMs + frame.durationMs;
    if (frame.probability >= threshold) {
      onsetMs ??= frame.startMs;
      lastSpeechEndMs = frameEndMs;
      if (!confirmed && lastSpeechEndMs - onsetMs >= minSpeechMs) {
        confirmed = true;
        yield {
          type: "speech-start",
          startMs: onsetMs,
          paddedStartMs: Math.max(0, onsetMs - prefixPaddingMs),
        };
      }
    } else if (
      onsetMs !== undefined &&
      frameEndMs - lastSpeechEndMs >= (confirmed ? silenceDurationMs : burstGapMs)
    ) {
      if (confirmed) yield { type: "speech-end", startMs: onsetMs, endMs: lastSpeechEndMs };
      onsetMs = undefined;
      confirmed = false;
    }
  }
  if (confirmed && onsetMs !== undefined)
    yield { type: "speech-end", startMs: onsetMs, endMs: lastSpeechEndMs };
}
