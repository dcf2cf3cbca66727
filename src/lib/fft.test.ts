import { describe, expect, it } from "vitest";
import { fft } from "./fft.js";

describe("fft", () => {
  it("matches the direct transform and inverts", () => {
    const n = 16;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i) + (i % 3));
    const im = Float64Array.from({ length: n }, (_, i) => Math.cos(2 * i));
    const [origRe, origIm] = [re.slice(), im.slice()];
    fft(re, im);
    for (let k = 0; k < n; k += 1) {
      let sumRe = 0;
      let sumIm = 0;
      for (let t = 0; t < n; t += 1) {
        const angle = (-2 * Math.PI * k * t) / n;
        sumRe += origRe[t]! * Math.cos(angle) - origIm[t]! * Math.sin(angle);
        sumIm += origRe[t]! * Math.sin(angle) + origIm[t]! * Math.cos(angle);
      }
      expect(re[k]).toBeCloseTo(sumRe, 9);
      expect(im[k]).toBeCloseTo(sumIm, 9);
    }
    fft(re, im, true);
    for (let t = 0; t < n; t += 1) {
      expect(re[t]! / n).toBeCloseTo(origRe[t]!, 9);
      expect(im[t]! / n).toBeCloseTo(origIm[t]!, 9);
    }
  });

  it("refuses a length that is not a power of two", () => {
    expect(() => fft(new Float64Array(6), new Float64Array(6))).toThrow(RangeError);
  });
});
