import type { Config } from "../config/config.js";
import type { Principal } from "../domain/principal.js";
import { AppError } from "../lib/app-error.js";
import { SlidingWindowLimiter } from "../lib/rate-limit.js";
import { type Lease, releaseWith } from "./leases.js";

/** Per-process limits on what users start: interactions per minute, voice messages at once. */
export class ConversationLimits {
  private readonly interactions: SlidingWindowLimiter;
  /** Voice messages uploading or being recognized, per `organization:user`; entries at zero are removed. */
  private readonly voiceNotes = new Map<string, number>();

  constructor(private readonly config: Pick<Config, "interactionsPerMinute" | "voiceNotesPerUser">) {
    this.interactions = new SlidingWindowLimiter(config.interactionsPerMinute, 60_000);
  }

  /** Counts one interaction for the user; 429 past the configured interactions per minute. */
  countInteraction(principal: Principal): void {
    if (!this.interactions.tryHit(userKey(principal))) {
      throw new AppError("rate_limited", "Too many interactions; try again in a minute");
    }
  }

  /** Holds one of the user's voice message slots until released or `until` aborts; 429 past the limit. */
  holdVoiceNote(principal: Principal, until: AbortSignal): Lease {
    const key = userKey(principal);
    const running = this.voiceNotes.get(key) ?? 0;
    const max = this.config.voiceNotesPerUser;
    if (running >= max) {
      throw new AppError("rate_limited", `At most ${max} voice messages per user may upload at once`);
    }
    this.voiceNotes.set(key, running + 1);
    return releaseWith(until, () => {
      const left = (this.voiceNotes.get(key) ?? 1) - 1;
      if (left <= 0) this.voiceNotes.delete(key);
      else this.voiceNotes.set(key, left);
    });
  }
}

function userKey(principal: Principal): string {
  return `${principal.organization.id}:${principal.user.id}`;
}
