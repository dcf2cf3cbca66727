const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "st",
  "jr",
  "sr",
  "prof",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "a.m",
  "p.m",
  "no",
]);

/** Letters and digits in `text`: what a synthesizer speaks (a sentence with none gives no audio). */
export function speakableCount(text: string): number {
  return text.match(/[a-z0-9]/gi)?.length ?? 0;
}

/** Index just past the first sentence end in `text`, or -1 when no complete sentence is there yet. */
function sentenceEnd(text: string, final: boolean): number {
  const pattern = /([.!?]+)(["')\]]*)(\s+|$)/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const end = match.index + match[0].length;
    const atEnd = match[3] === "";
    if (atEnd && !final) return -1;
    const before = text.slice(0, match.index);
    const lastWord = (/([A-Za-z.]+)$/.exec(before)?.[1] ?? "").toLowerCase();
    // "Dr. Smith", "3.5", "e.g." are not sentence ends.
    if (match[1] === "." && ABBREVIATIONS.has(lastWord.replace(/\.$/, ""))) continue;
    if (match[1] === "." && /\d$/.test(before) && /^\d/.test(text.slice(match.index + 1))) continue;
    return end;
  }
  return -1;
}

/**
 * Turns a stream of text deltas into whole sentences, each yielded as soon as its end is seen, so that
 * speech can start after the first sentence. The rest is yielded when the input ends.
 */
export async function* splitSentences(deltas: AsyncIterable<string> | string): AsyncIterable<string> {
  let buffer = "";
  const source = typeof deltas === "string" ? [deltas] : deltas;
  for await (const delta of source) {
    buffer += delta;
    for (let end = sentenceEnd(buffer, false); end > 0; end = sentenceEnd(buffer, false)) {
      const sentence = buffer.slice(0, end);
      buffer = buffer.slice(end);
      if (sentence.trim().length > 0) yield sentence;
    }
  }
  while (buffer.trim().length > 0) {
    const end = sentenceEnd(buffer, true);
    const sentence = end > 0 ? buffer.slice(0, end) : buffer;
    buffer = end > 0 ? buffer.slice(end) : "";
    if (sentence.trim().length > 0) yield sentence;
  }
}

/** The part of a sentence a piece of speech holds: all of it, or its first clause and the rest. */
export type SentencePart = "whole" | "first-clause" | "after-first-clause";

/** A first clause is cut off only when at least this many words follow it in the sentence. */
const MIN_WORDS_AFTER_CLAUSE = 4;

/**
 * `sentence` cut after its first clause (a comma, semicolon or colon and the spaces after it), when
 * the clause has a speakable word and at least 4 words follow; otherwise undefined.
 */
export function splitFirstClause(sentence: string): [string, string] | undefined {
  const match = /[,;:]\s+/.exec(sentence);
  if (match === null) return undefined;
  const end = match.index + match[0].length;
  const head = sentence.slice(0, end);
  const tail = sentence.slice(end);
  if (speakableCount(head) === 0) return undefined;
  if ((tail.match(/[a-z0-9]+/gi)?.length ?? 0) < MIN_WORDS_AFTER_CLAUSE) return undefined;
  return [head, tail];
}

/**
 * The sentences of `deltas` a synthesizer should speak: each as split (`sentence`, which the chunks
 * carry and time) and trimmed (`spoken`, what is synthesized); those without a speakable character are
 * left out. With `firstClause`, the reply's first sentence comes as its first clause and the rest
 * (see `splitFirstClause`), so the first audio needs only the clause synthesized. The signal is checked
 * as each sentence arrives, so an aborted reply stops there.
 */
export async function* speakableSentences(
  deltas: AsyncIterable<string> | string,
  signal: AbortSignal,
  options: { firstClause?: boolean } = {},
): AsyncIterable<{ sentence: string; spoken: string; part: SentencePart }> {
  let first = options.firstClause === true;
  for await (const sentence of splitSentences(deltas)) {
    signal.throwIfAborted();
    const spoken = sentence.trim();
    if (speakableCount(spoken) === 0) continue;
    const clause = first ? splitFirstClause(sentence) : undefined;
    first = false;
    if (clause === undefined) {
      yield { sentence, spoken, part: "whole" };
      continue;
    }
    yield { sentence: clause[0], spoken: clause[0].trim(), part: "first-clause" };
    signal.throwIfAborted();
    yield { sentence: clause[1], spoken: clause[1].trim(), part: "after-first-clause" };
  }
}
