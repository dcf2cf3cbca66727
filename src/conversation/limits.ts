import type { Config } from "../config/config.js";
import type { Principal } from "../domain/principal.js";
import { AppError } from "../lib/app-error.js";
import { SlidingWindowLimiter } from "../lib/rate-limit.js";
import { type Lease, releaseWith } from "./leases.js";

/**
 * Per-process limits on what users start: conversations created per minute (the spec's 5), interactions
 * per minute (the spec's 15), voice messages at once. Both transports count here.
 */
export class ConversationLimits {
  private readonly interactions: SlidingWindowLimiter;
  private readonly creates: SlidingWindowLimiter;
  /** Voice messages uploading or being recognized, per `organization:user`; entries at zero are removed. */
  private readonly voiceNotes = new Map<string, number>();

  constructor(
    private readonly config: Pick<
      Config,
      "interactionsPerMinute" | "conversationCreatesPerMinute" | "voiceNotesPerUser"
    >,
  ) {
    this.interactions = new SlidingWindowLimiter(config.interactionsPerMinute, 60_000);
    this.creates = new SlidingWindowLimiter(config.conversationCreatesPerMinute, 60_000);
  }

  /** Counts one conversation created by the user; 429 past the configured creations per minute. */
  countConversationCreate(principal: Principal): void {
    if (!this.creates.tryHit(userKey(principal))) {
      throw new AppError(
        "rate_limited",
        `The user has exceeded the rate limit of ${this.config.conversationCreatesPerMinute} requests per minute for this endpoint`,
      );
    }
  }

  /** Counts one interaction for the user; 429 past the configured interactions per minute. */
  countInteraction(principal: Principal): void {
    if (!this.interactions.tryHit(userKey(principal))) {
      throw new AppError(
        "rate_limited",
        `The user has exceeded the rate limit of ${this.config.interactionsPerMinute} requests per minute for this endpoint`,
      );
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
