import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITER_MAX_KEYS, SlidingWindowLimiter } from "./rate-limit.js";

describe("SlidingWindowLimiter", () => {
  it("allows `limit` hits per window and frees the key when they leave it", () => {
    let nowMs = 0;
    const limiter = new SlidingWindowLimiter(3, 60_000, { now: () => nowMs });
    expect([1, 2, 3, 4].map(() => limiter.tryHit("k"))).toEqual([true, true, true, false]);
    expect(limiter.tryHit("other")).toBe(true);
    nowMs = 30_000;
    expect(limiter.isLimited("k")).toBe(true);
    nowMs = 60_001;
    expect(limiter.isLimited("k")).toBe(false);
    expect(limiter.tryHit("k")).toBe(true);
  });

  it("stays limited while failures keep coming, counting only the newest `limit` of them", () => {
    let nowMs = 0;
    const limiter = new SlidingWindowLimiter(3, 60_000, { now: () => nowMs });
    for (let i = 0; i < 1000; i += 1) {
      nowMs = i * 100;
      limiter.hit("k");
    }
    expect(limiter.isLimited("k")).toBe(true);
    // The newest three hits were at 99.7 s, 99.8 s and 99.9 s: limited until the first leaves the window.
    nowMs = 99_700 + 59_999;
    expect(limiter.isLimited("k")).toBe(true);
    nowMs = 99_700 + 60_000;
    expect(limiter.isLimited("k")).toBe(false);
  });

  // What broke: every failed sign-in with a new random key id added a key that was never freed
  // (about 60 MB per 3,000 requests), so unauthenticated callers could grow the server's memory at will.
  it("keeps at most maxKeys keys under 100,000 distinct keys", () => {
    const limiter = new SlidingWindowLimiter(5, 60_000);
    for (let i = 0; i < 100_000; i += 1) limiter.hit(`org:${i.toString(16).padStart(24, "0")}`);
    expect(limiter.size).toBeLessThanOrEqual(DEFAULT_LIMITER_MAX_KEYS);
    // The most recent keys are the ones kept.
    expect(limiter.isLimited("org:" + (99_999).toString(16).padStart(24, "0"))).toBe(false);
  });

  it("forgets the least recently hit key first, and drops keys whose hits have expired", () => {
    let nowMs = 0;
    const limiter = new SlidingWindowLimiter(1, 60_000, { maxKeys: 3, now: () => nowMs });
    for (const key of ["a", "b", "c"]) limiter.hit(key);
    limiter.hit("a");
    limiter.hit("d");
    expect(limiter.size).toBe(3);
    expect(["a", "b", "c", "d"].map((key) => limiter.isLimited(key))).toEqual([true, false, true, true]);
    nowMs = 120_000;
    limiter.hit("e");
    expect(limiter.size).toBe(1);
  });
});
