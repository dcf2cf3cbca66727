import type { ReplyPlayback } from "./reply-playback.js";
import type { VadSettings } from "./turn-detector.js";

/** User speech the VAD has confirmed (it lasted `min_speech_ms`), in session time. */
export interface ConfirmedSpeech {
  utteranceId: string;
  /** Where the speech started (no prefix padding). */
  startMs: number;
  /** Where it was confirmed. */
  confirmedAtMs: number;
}

/**
 * The one place that decides whether confirmed user speech interrupts the agent's reply. Today: it
 * does whenever a reply is running and the session's `interrupt_response` is on. Backchannel filtering
 * and echo rejection belong here.
 */
export function speechInterruptsReply(
  speech: ConfirmedSpeech,
  reply: ReplyPlayback | undefined,
  settings: VadSettings,
): boolean {
  void speech;
  return reply !== undefined && settings.interrupt_response;
}
