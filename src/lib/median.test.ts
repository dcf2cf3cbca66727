import { describe, expect, it } from "vitest";
import { median } from "./median.js";

describe("median", () => {
  it("takes the middle value, the upper middle one for an even count, and 0 of nothing", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([])).toBe(0);
  });
});
