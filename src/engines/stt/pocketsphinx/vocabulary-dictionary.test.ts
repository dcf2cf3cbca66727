import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dictionaryLinesFor, vocabularyDictionary } from "./vocabulary-dictionary.js";

const SOURCE = ["a AH", "a(2) EY", "abbey AE B IY", "cat K AE T", "cats K AE T S", "dog D AO G", ""].join(
  "\n",
);

describe("vocabularyDictionary", () => {
  let directory: string;
  let source: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "vocabulary-dictionary-"));
    source = path.join(directory, "source.dict");
    fs.writeFileSync(source, SOURCE);
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  it("keeps the vocabulary's entries with their alternate pronunciations, and nothing else", () => {
    expect(dictionaryLinesFor(SOURCE, new Set(["a", "cat", "<s>"]))).toEqual([
      "a AH",
      "a(2) EY",
      "cat K AE T",
    ]);
    const file = vocabularyDictionary(source, new Set(["a", "cat", "dog"]), directory);
    expect(file).toBeDefined();
    expect(fs.readFileSync(file!, "utf8")).toBe("a AH\na(2) EY\ncat K AE T\ndog D AO G\n");
    expect(fs.readdirSync(directory).filter((name) => name.includes("partial"))).toEqual([]);
  });

  it("writes a dictionary once and reuses it; another vocabulary or source gets its own file", () => {
    const vocabulary = new Set(["cat"]);
    const first = vocabularyDictionary(source, vocabulary, directory)!;
    fs.writeFileSync(first, "cat K AE T\n# kept\n");
    expect(vocabularyDictionary(source, vocabulary, directory)).toBe(first);
    expect(fs.readFileSync(first, "utf8")).toContain("# kept");
    const other = vocabularyDictionary(source, new Set(["cat", "cats"]), directory)!;
    expect(other).not.toBe(first);
    expect(fs.readFileSync(other, "utf8")).toBe("cat K AE T\ncats K AE T S\n");
    fs.appendFileSync(source, "cow K AW\n");
    expect(vocabularyDictionary(source, vocabulary, directory)).not.toBe(first);
  });

  it("gives undefined when the file cannot be written, or the source read", () => {
    expect(vocabularyDictionary(source, new Set(["cat"]), path.join(directory, "missing"))).toBeUndefined();
    expect(
      vocabularyDictionary(path.join(directory, "none.dict"), new Set(["cat"]), directory),
    ).toBeUndefined();
  });
});
