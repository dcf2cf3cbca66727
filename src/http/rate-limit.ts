/**
 * Sliding-window counter per key (in memory, per process: several server processes each count alone).
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a hit for `key`; false when the key is already at its limit (the hit is not counted). */
  tryHit(key: string): boolean {
    const recent = this.recent(key);
    if (recent.length >= this.limit) return false;
    recent.push(this.now());
    this.hits.set(key, recent);
    return true;
  }

  /** Records a hit without checking (for counting failures). */
  hit(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.hits.set(key, recent);
  }

  isLimited(key: string): boolean {
    return this.recent(key).length >= this.limit;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const recent = (this.hits.get(key) ?? []).filter((t) => t > cutoff);
    if (recent.length === 0) this.hits.delete(key);
    return recent;
  }
}
