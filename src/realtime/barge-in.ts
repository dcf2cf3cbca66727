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
 * The one place that decides whether confirmed user speech may interrupt the agent's reply: when a reply
 * is running, the session's `interrupt_response` is on, and something of the reply is still to come (a
 * produced reply whose audio has all played by the clock only waits for its commit: nothing to stop).
 * Whether the speech then interrupts at once or first pauses the agent (backchannels, false
 * interruptions) is the session's `FalseInterruptionGuard`'s; the agent's echo never gets this far
 * (echo-gate.ts takes it out of the input first).
 */
export function speechInterruptsReply(
  speech: ConfirmedSpeech,
  reply: ReplyPlayback | undefined,
  settings: VadSettings,
): boolean {
  void speech;
  if (reply === undefined || !settings.interrupt_response) return false;
  return reply.production === "running" || reply.speaking;
}
