import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Sessions whose grace period ran out are remembered this long (a late resume gets 4410, not 4404)… */
const EXPIRED_KEPT_MS = 10 * 60_000;
/** …and at most this many of them (the oldest forgotten first). */
const EXPIRED_KEPT_MAX = 1000;

/** A new resume token: 32 random bytes, base64url. */
export function newResumeToken(): string {
  return randomBytes(32).toString("base64url");
}

const digest = (token: string) => createHash("sha256").update(token).digest();

/** Compares two tokens in constant time. */
export function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Sessions whose grace period ran out, by conversation, with their token's digest. Bounded. */
export class ExpiredSessions {
  private readonly entries = new Map<string, { tokenDigest: Buffer; expiredAt: number }>();

  add(conversationId: string, token: string, now = Date.now()): void {
    this.entries.delete(conversationId);
    this.entries.set(conversationId, { tokenDigest: digest(token), expiredAt: now });
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= EXPIRED_KEPT_MAX && now - entry.expiredAt < EXPIRED_KEPT_MS) break;
      this.entries.delete(id);
    }
  }

  /** True when `token` belonged to the conversation's session that expired recently. */
  has(conversationId: string, token: string, now = Date.now()): boolean {
    const entry = this.entries.get(conversationId);
    if (entry === undefined || now - entry.expiredAt >= EXPIRED_KEPT_MS) return false;
    return timingSafeEqual(entry.tokenDigest, digest(token));
  }
}
