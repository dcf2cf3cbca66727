import { describe, expect, it } from "vitest";
import { splitSentences } from "./sentences.js";

async function collect(input: AsyncIterable<string> | string) {
  const out: string[] = [];
  for await (const s of splitSentences(input)) out.push(s);
  return out;
}

describe("sentence splitter", () => {
  it("splits on sentence ends but not abbreviations or decimals", async () => {
    expect(await collect("Dr. Smith is in. It costs 3.5 dollars! Really? Yes")).toEqual([
      "Dr. Smith is in. ",
      "It costs 3.5 dollars! ",
      "Really? ",
      "Yes",
    ]);
  });

  it("yields a sentence as soon as the next delta shows its end", async () => {
    const seen: string[] = [];
    async function* deltas() {
      yield "Hello there";
      yield ".";
      expect(seen).toEqual([]);
      yield " How";
      yield " are you?";
      expect(seen).toEqual(["Hello there. "]);
    }
    for await (const s of splitSentences(deltas())) seen.push(s);
    expect(seen).toEqual(["Hello there. ", "How are you?"]);
  });
});
