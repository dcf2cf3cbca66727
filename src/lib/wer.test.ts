import { describe, expect, it } from "vitest";
import { corpusWer, wer } from "./wer.js";

describe("word error rate", () => {
  it("counts substitutions, insertions and deletions against the reference length", () => {
    expect(wer("the cat sat", "the cat sat")).toBe(0);
    expect(wer("the cat sat", "the dog sat")).toBeCloseTo(1 / 3);
    expect(wer("the cat sat", "the cat sat down")).toBeCloseTo(1 / 3);
    expect(wer("the cat sat", "cat")).toBeCloseTo(2 / 3);
    expect(wer("Mr. Dashwood", "mister dashwood")).toBe(0);
    expect(
      corpusWer([
        { reference: "a b", hypothesis: "a" },
        { reference: "c d e f", hypothesis: "c d e f" },
      ]),
    ).toBeCloseTo(1 / 6);
  });
});
