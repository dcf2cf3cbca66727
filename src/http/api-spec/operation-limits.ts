import type { RateLimitSettings } from "../../config/config.js";
import type { Principal } from "../../domain/principal.js";
import { AppError } from "../../lib/app-error.js";
import { SlidingWindowLimiter } from "../../lib/rate-limit.js";
import type { ApiOperation } from "./types.js";

/**
 * Operations limited elsewhere: the conversation service counts creations and interactions itself
 * (both transports start them), and sign-in counts failed attempts per API key id (CONTRACT.md).
 */
const COUNTED_ELSEWHERE = new Set([
  "create-conversation",
  "interact-with-conversation",
  "sign-in-with-api-key",
]);

/**
 * Per-user request limits per operation, as the spec's 429 responses document them ("the rate limit of
 * 20 requests per minute for this endpoint"), unless the settings replace or turn them off. Counted in
 * memory per process, per organization and user.
 */
export class OperationRateLimits {
  private readonly limiters = new Map<string, { perMinute: number; limiter: SlidingWindowLimiter }>();

  constructor(operations: readonly ApiOperation[], settings: RateLimitSettings) {
    if (!settings.enabled) return;
    for (const operation of operations) {
      if (!operation.implemented || COUNTED_ELSEWHERE.has(operation.operationId)) continue;
      const perMinute = settings.perMinute[operation.operationId] ?? operation.rateLimitPerMinute;
      if (perMinute === null) continue;
      this.limiters.set(operation.operationId, {
        perMinute,
        limiter: new SlidingWindowLimiter(perMinute, 60_000),
      });
    }
  }

  /** Counts one request of `operationId` by the principal's user; 429 past the operation's limit. */
  count(operationId: string, principal: Principal): void {
    const entry = this.limiters.get(operationId);
    if (entry === undefined) return;
    if (!entry.limiter.tryHit(`${principal.organization.id}:${principal.user.id}`)) {
      throw new AppError(
        "rate_limited",
        `The user has exceeded the rate limit of ${entry.perMinute} requests per minute for this endpoint`,
      );
    }
  }

  /** The limit in force for `operationId`, or undefined when it has none. */
  limitOf(operationId: string): number | undefined {
    return this.limiters.get(operationId)?.perMinute;
  }
}
