/** Spoken forms of common abbreviations, so "Mr." and "mister" count as the same word. */
const SPOKEN: Record<string, string> = { mr: "mister", mrs: "missus", dr: "doctor", st: "saint" };

export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/<\/?s>|\(\d+\)/g, " ")
    .replace(/[^a-z0-9' ]+/g, " ")
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => (Object.hasOwn(SPOKEN, w) ? SPOKEN[w]! : w));
}

/** Word-level edit distance between a reference and a hypothesis (after normalization). */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j += 1) {
      const substitution = previous[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1));
    }
    previous = current;
  }
  return { errors: previous[hyp.length]!, words: ref.length };
}

/** Word error rate of one hypothesis: edits / reference words. */
export function wer(reference: string, hypothesis: string): number {
  const { errors, words } = wordErrors(reference, hypothesis);
  return words === 0 ? (errors === 0 ? 0 : 1) : errors / words;
}

/** Word error rate over a corpus: total edits / total reference words. */
export function corpusWer(pairs: { reference: string; hypothesis: string }[]): number {
  let errors = 0;
  let words = 0;
  for (const pair of pairs) {
    const counted = wordErrors(pair.reference, pair.hypothesis);
    errors += counted.errors;
    words += counted.words;
  }
  return words === 0 ? 0 : errors / words;
}

/** 1 − (character edit distance / longer length) of two normalized texts: 1 for equal, 0 for nothing alike. */
export function characterSimilarity(a: string, b: string): number {
  const x = normalizeWords(a).join(" ");
  const y = normalizeWords(b).join(" ");
  if (x.length === 0 && y.length === 0) return 1;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current.push(
        Math.min(previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1), previous[j]! + 1, current[j - 1]! + 1),
      );
    }
    previous = current;
  }
  return 1 - previous[y.length]! / Math.max(x.length, y.length);
}
