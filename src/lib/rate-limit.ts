/** Options of a {@link SlidingWindowLimiter}. */
export interface SlidingWindowLimiterOptions {
  /**
   * Most keys tracked at once. Past it, the key hit least recently is forgotten (its count starts over),
   * so a flood of distinct keys (random API key ids, say) costs bounded memory. Default 10 000.
   */
  maxKeys?: number;
  /** Current time in milliseconds; injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Default of {@link SlidingWindowLimiterOptions.maxKeys}. */
export const DEFAULT_LIMITER_MAX_KEYS = 10_000;

/**
 * Sliding-window counter per key (in memory, per process: several server processes each count alone).
 *
 * Memory is bounded: a key keeps at most `limit` timestamps (the newest ones, which are all that decide
 * whether the key is at its limit), at most `maxKeys` keys are kept (least recently hit first out), and a
 * key whose newest hit has left the window is dropped.
 */
export class SlidingWindowLimiter {
  /** Timestamps per key, oldest first; the map is ordered by each key's latest hit, oldest first. */
  private readonly hits = new Map<string, number[]>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    options: SlidingWindowLimiterOptions = {},
  ) {
    this.maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_LIMITER_MAX_KEYS);
    this.now = options.now ?? Date.now;
  }

  /** Counts a hit for `key`; false when the key is already at its limit (the hit is not counted). */
  tryHit(key: string): boolean {
    if (this.isLimited(key)) return false;
    this.hit(key);
    return true;
  }

  /** Records a hit without checking (for counting failures). */
  hit(key: string): void {
    const now = this.now();
    this.dropExpired(now);
    const recent = this.recent(key, now);
    recent.push(now);
    if (recent.length > this.limit) recent.splice(0, recent.length - this.limit);
    // Re-inserting moves the key to the end: the map stays ordered by latest hit.
    this.hits.delete(key);
    this.hits.set(key, recent);
    while (this.hits.size > this.maxKeys) {
      const oldest = this.hits.keys().next();
      if (oldest.done === true) break;
      this.hits.delete(oldest.value);
    }
  }

  isLimited(key: string): boolean {
    return this.recent(key, this.now()).length >= this.limit;
  }

  /** Keys tracked now (for tests and metrics). */
  get size(): number {
    return this.hits.size;
  }

  /** The key's hits still in the window (dropping the others from its list). */
  private recent(key: string, now: number): number[] {
    const list = this.hits.get(key);
    if (list === undefined) return [];
    const cutoff = now - this.windowMs;
    let expired = 0;
    while (expired < list.length && list[expired]! <= cutoff) expired += 1;
    if (expired > 0) list.splice(0, expired);
    return list;
  }

  /** Drops keys whose newest hit has left the window; they sit at the front of the map. */
  private dropExpired(now: number): void {
    const cutoff = now - this.windowMs;
    for (const [key, list] of this.hits) {
      const newest = list.at(-1);
      if (newest !== undefined && newest > cutoff) break;
      this.hits.delete(key);
    }
  }
}
