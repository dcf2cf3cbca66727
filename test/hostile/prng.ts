/**
 * A seeded pseudo-random generator (mulberry32), so that a failing hostile run can be replayed with the
 * seed it printed (`PARLEY_HOSTILE_SEED=<seed>`).
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += 4) {
      const word = (this.next() * 4_294_967_296) >>> 0;
      for (let j = 0; j < 4 && i + j < length; j += 1) out[i + j] = (word >>> (j * 8)) & 0xff;
    }
    return out;
  }

  /** Lowercase letters. */
  letters(length: number): string {
    const out = this.bytes(length);
    for (let i = 0; i < length; i += 1) out[i] = 97 + (out[i]! % 26);
    return out.toString("latin1");
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** The seed from `PARLEY_HOSTILE_SEED`, or a fresh one. */
export function hostileSeed(): number {
  const fromEnv = process.env.PARLEY_HOSTILE_SEED;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
