import fs from "node:fs";
import type { SpokenPhone } from "./flite-runner.js";

const DICTIONARY_PATH = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
let phoneCounts: Map<string, number> | undefined;

/** Phones per word from the CMU dictionary (Flite's lexicon is CMU-derived), when it is installed. */
function dictionary(): Map<string, number> {
  if (phoneCounts !== undefined) return phoneCounts;
  phoneCounts = new Map();
  if (fs.existsSync(DICTIONARY_PATH)) {
    for (const line of fs.readFileSync(DICTIONARY_PATH, "utf8").split("\n")) {
      const [word, ...phones] = line.trim().split(/\s+/);
      if (word !== undefined && !word.includes("(")) phoneCounts.set(word, phones.length);
    }
  }
  return phoneCounts;
}

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

function numberWords(n: number): string[] {
  if (n < 20) return [ONES[n]!];
  if (n < 100) return [TENS[Math.floor(n / 10)]!, ...(n % 10 === 0 ? [] : [ONES[n % 10]!])];
  if (n < 1000)
    return [ONES[Math.floor(n / 100)]!, "hundred", ...(n % 100 === 0 ? [] : numberWords(n % 100))];
  return [
    ...numberWords(Math.floor(n / 1000) % 1000),
    "thousand",
    ...(n % 1000 === 0 ? [] : numberWords(n % 1000)),
  ];
}

/** Roughly how many phones a written token is spoken with. */
export function estimatePhones(token: string): number {
  const words = token
    .toLowerCase()
    .split(/[^a-z0-9']+/)
    .filter((w) => w.length > 0)
    .flatMap((w) => (/^\d+$/.test(w) && w.length < 7 ? numberWords(Number(w)) : [w]));
  return words.reduce(
    (sum, word) => sum + (dictionary().get(word) ?? Math.max(1, Math.round(word.length * 0.8))),
    0,
  );
}

/**
 * Gives every character of `text` a time (ms from `offsetMs`): the speech phones Flite reported are
 * shared out among the text's tokens in proportion to their estimated phone counts, and the characters
 * of a token are spread evenly over its span. Spaces take the time of the end of the token before them.
 */
export function characterTimings(text: string, phones: SpokenPhone[], offsetMs: number): [number, string][] {
  const spans: { startMs: number; endMs: number }[] = [];
  let previousEnd = 0;
  for (const phone of phones) {
    if (phone.phone !== "pau") spans.push({ startMs: previousEnd, endMs: phone.endMs });
    previousEnd = phone.endMs;
  }
  const tokens = [...text.matchAll(/\S+/g)];
  const estimates = tokens.map((t) => (/[a-z0-9]/i.test(t[0]) ? estimatePhones(t[0]) : 0));
  const totalEstimate = estimates.reduce((a, b) => a + b, 0);
  const timings: [number, string][] = [];
  const endOfSpeech = spans.at(-1)?.endMs ?? previousEnd;
  let cursor = 0;
  let consumed = 0;
  let lastTimeMs = spans[0]?.startMs ?? 0;
  tokens.forEach((token, index) => {
    const start = token.index;
    for (; cursor < start; cursor += 1) timings.push([offsetMs + lastTimeMs, text[cursor]!]);
    const share = totalEstimate === 0 ? 0 : (estimates[index]! / totalEstimate) * spans.length;
    const firstPhone = Math.min(spans.length - 1, Math.round(consumed));
    consumed += share;
    const lastPhone = Math.min(spans.length - 1, Math.max(firstPhone, Math.round(consumed) - 1));
    const startMs = spans[firstPhone]?.startMs ?? lastTimeMs;
    const endMs = share === 0 ? startMs : (spans[lastPhone]?.endMs ?? endOfSpeech);
    const word = token[0];
    for (let i = 0; i < word.length; i += 1) {
      timings.push([offsetMs + Math.round(startMs + ((endMs - startMs) * i) / word.length), word[i]!]);
    }
    lastTimeMs = endMs;
    cursor = start + word.length;
  });
  for (; cursor < text.length; cursor += 1) timings.push([offsetMs + lastTimeMs, text[cursor]!]);
  return timings;
}
