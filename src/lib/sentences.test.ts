import { describe, expect, it } from "vitest";
import { speakableSentences, splitFirstClause, splitSentences } from "./sentences.js";

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

describe("splitFirstClause", () => {
  it("cuts after the first comma, semicolon or colon when four words or more follow", () => {
    expect(splitFirstClause("Wonderful, you are booked for ten. ")).toEqual([
      "Wonderful, ",
      "you are booked for ten. ",
    ]);
    expect(splitFirstClause("Note: the clinic opens at nine.")).toEqual([
      "Note: ",
      "the clinic opens at nine.",
    ]);
    expect(splitFirstClause("Of course, at ten.")).toBeUndefined();
    expect(splitFirstClause("Yes it is booked for ten.")).toBeUndefined();
    expect(splitFirstClause("3,500 people came to the clinic today.")).toBeUndefined();
    expect(splitFirstClause(", and then we can talk about it.")).toBeUndefined();
  });
});

describe("speakableSentences with firstClause", () => {
  it("splits only the reply's first sentence", async () => {
    const parts: string[] = [];
    const reply = "Sure, I can book that for you. Later, we can talk about the bill.";
    for await (const piece of speakableSentences(reply, new AbortController().signal, { firstClause: true }))
      parts.push(`${piece.part}: ${piece.sentence}`);
    expect(parts).toEqual([
      "first-clause: Sure, ",
      "after-first-clause: I can book that for you. ",
      "whole: Later, we can talk about the bill.",
    ]);
  });
});
