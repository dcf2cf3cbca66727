/**
 * Builds a JSGF grammar that accepts exactly the given phrases (lowercased, punctuation dropped). Words
 * missing from the dictionary are dropped by `knownWord`; phrases left empty are skipped.
 */
export function jsgfForPhrases(phrases: string[], knownWord: (word: string) => boolean = () => true): string {
  const alternatives = [
    ...new Set(
      phrases
        .map((p) =>
          p
            .toLowerCase()
            .replace(/[^a-z' ]+/g, " ")
            .split(/\s+/)
            .filter((w) => w.length > 0 && knownWord(w))
            .join(" "),
        )
        .filter((p) => p.length > 0),
    ),
  ];
  if (alternatives.length === 0) throw new Error("No expected phrase has a word the recognizer knows");
  return `#JSGF V1.0;\ngrammar expected;\npublic <answer> = ${alternatives.join(" | ")};\n`;
}
