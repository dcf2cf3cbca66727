import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { threadId } from "node:worker_threads";

/** A dictionary line's word, without the `(2)` of an alternate pronunciation. */
export function headword(line: string): string {
  return (line.split(" ", 1)[0] ?? "").replace(/\(\d+\)$/, "");
}

/** The lines of a PocketSphinx dictionary whose word is in `vocabulary`, alternates included. */
export function dictionaryLinesFor(dictionaryText: string, vocabulary: ReadonlySet<string>): string[] {
  return dictionaryText.split("\n").filter((line) => line !== "" && vocabulary.has(headword(line)));
}

/**
 * The pronunciation dictionary cut down to `vocabulary` (a language model's words), as a file for
 * PocketSphinx's `-dict`; undefined when it cannot be written (the caller keeps the whole dictionary).
 *
 * An open-vocabulary search only ever hypothesizes words its language model knows, so the other entries
 * (62 k of cmudict-en-us's 135 k) cost every decoder memory and load time and change no result. The file
 * is named after the source dictionary's path, size and time and the vocabulary (in its order), written
 * once (to a temporary name, then renamed, so a reader never sees half of it) and reused by every worker
 * and process that asks for the same one.
 */
export function vocabularyDictionary(
  sourcePath: string,
  vocabulary: ReadonlySet<string>,
  directory = os.tmpdir(),
): string | undefined {
  try {
    const source = fs.statSync(sourcePath);
    const key = createHash("sha256")
      .update(`${path.resolve(sourcePath)}\n${source.size}\n${source.mtimeMs}\n`)
      .update([...vocabulary].join("\n"))
      .digest("hex")
      .slice(0, 16);
    const file = path.join(directory, `parley-pocketsphinx-${key}.dict`);
    if (fs.existsSync(file)) return file;
    const lines = dictionaryLinesFor(fs.readFileSync(sourcePath, "utf8"), vocabulary);
    const partial = `${file}.${process.pid}-${threadId}.partial`;
    try {
      fs.writeFileSync(partial, `${lines.join("\n")}\n`);
      fs.renameSync(partial, file);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      throw error;
    }
    return file;
  } catch {
    return undefined;
  }
}
