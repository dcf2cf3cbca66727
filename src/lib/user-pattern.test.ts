import { describe, expect, it } from "vitest";
import {
  compileUserPattern,
  MAX_USER_PATTERN_CHARS,
  MAX_USER_PATTERN_STATES,
  UserPatternError,
} from "./user-pattern.js";

const ACTION_TYPES = [
  "navigate-state-machine-state-transitioned",
  "navigate-state-machine-exit-condition-selected",
  "navigate-state-machine-decision-state-decision-started",
  "engage-user-message-fragment-generated",
  "tool-call",
  "",
  "a",
  "X",
  "aX",
  "hello world",
  "foo_bar baz\nqux",
  "tab\there",
  "{}[]()^$.*+?|\\/",
  "cafe\u00e9 \u2028 line",
  "\u0000\u0008\u001b",
];

/** Patterns whose JavaScript meaning the linear matcher must reproduce exactly. */
const SAME_AS_REGEXP = [
  "^.*$",
  "^$",
  "^navigate-state-machine-state-transitioned$",
  "navigate|engage",
  "^(navigate|engage)-",
  "^(?:navigate-state-machine-)?(state|exit)",
  "(?<kind>tool)-call",
  "state.*(started|selected)$",
  "^[a-z-]+$",
  "^[^a-z]+$",
  "[]",
  "[^]",
  "[\\d_]",
  "[\\W]",
  "[a\\-z]",
  "[-a]",
  "[a-]",
  "[\\s\\S]",
  "[\\b]",
  "\\d+",
  "\\D",
  "\\w+\\s\\w+",
  "\\S\\n",
  "\\bworld\\b",
  "\\Bor",
  "o\\B",
  "a{0}X",
  "a{1}",
  "e{2,}",
  "e{1,3}d",
  "(ab){0,2}c?",
  "a{,2}",
  "a{",
  "x}",
  "]",
  "\\t",
  "\\x41|\\x61",
  "\\u00e9",
  "\\u{2}",
  "\\cJ",
  "[\\c_]",
  "\\c1",
  "\\0",
  "\\.",
  "\\/",
  "\\p",
  "\\k",
  "(a*)*X",
  "(a|a)*X",
  "(|a)+X",
  "a*?X",
  "(?:a+?)+b",
  "\\u2028",
  ".",
  "^.$",
  "\\$",
  "\\^|\\|",
];

describe("compileUserPattern", () => {
  it.each(SAME_AS_REGEXP)("matches as RegExp does for %s", (source) => {
    const pattern = compileUserPattern(source);
    const native = new RegExp(source);
    for (const text of ACTION_TYPES)
      expect([source, text, pattern.test(text)]).toEqual([source, text, native.test(text)]);
  });

  it("agrees with RegExp on generated patterns and short texts", () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
    const atoms = [
      "a",
      "b",
      "-",
      ".",
      "\\w",
      "\\W",
      "\\d",
      "\\s",
      "[ab]",
      "[^a]",
      "[a-c-]",
      "\\b",
      "\\B",
      "^",
      "$",
    ];
    const quantifiers = ["", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?"];
    const gen = (depth: number): string => {
      const parts: string[] = [];
      for (let i = 0, n = 1 + random(3); i < n; i += 1) {
        const atom = depth > 0 && random(4) === 0 ? `(${gen(depth - 1)})` : pick(atoms);
        const q = /^[\^$]|^\\[bB]$/.test(atom) ? "" : pick(quantifiers);
        parts.push(atom + q);
      }
      return random(5) === 0 ? `${parts.join("")}|${gen(depth - 1)}` : parts.join("");
    };
    const texts = ["", "a", "ab", "ba-", "a b", "1a", "aab-b", "-", "b1 a", "abcab", "\n", "aa bb"];
    for (let i = 0; i < 600; i += 1) {
      const source = gen(2);
      const pattern = compileUserPattern(source);
      const native = new RegExp(source);
      for (const text of texts)
        expect([source, text, pattern.test(text)]).toEqual([source, text, native.test(text)]);
    }
  });

  it("answers the same for a text it has seen before", () => {
    const pattern = compileUserPattern("state");
    for (let i = 0; i < 200; i += 1) {
      expect(pattern.test(`state ${i}`)).toBe(true);
      expect(pattern.test(`other ${i}`)).toBe(false);
    }
  });

  // What broke: `current_agent_action_type=^(.|.)*X` held the event loop forever and `^(.|.){0,25}X`
  // for 5 to 7 seconds, because the backtracking RegExp engine ran them.
  it("matches exponential-backtracking patterns without stalling", () => {
    const long = "navigate-state-machine-".repeat(400);
    const startedAt = Date.now();
    for (const source of [
      "^(.|.)*X",
      "^(.|.){0,25}X",
      "^(a|a)*$",
      "^(\\w+\\s?)*$",
      "^(([a-z])+.)+[A-Z]([a-z])+$",
    ]) {
      const pattern = compileUserPattern(source);
      expect(pattern.test(long + "!")).toBe(false);
      expect(pattern.test("a".repeat(5000) + "!")).toBe(false);
    }
    // Generous: the old engine did not finish the first pattern at all.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it("rejects what only a backtracking engine can run", () => {
    for (const source of [
      "(a)\\1",
      "(?<n>a)\\k<n>",
      "(?=a)",
      "(?!a)",
      "(?<=a)b",
      "(?<!a)b",
      "\\01",
      "[\\1]",
    ]) {
      expect(() => compileUserPattern(source), source).toThrow(UserPatternError);
    }
  });

  it("rejects malformed patterns", () => {
    for (const source of ["[", "(", "a)", "*", "a**", "x{2,1}", "\\"]) {
      expect(() => compileUserPattern(source), source).toThrow(UserPatternError);
    }
  });

  it("rejects patterns that are too long or expand to too many states", () => {
    expect(() => compileUserPattern("a".repeat(MAX_USER_PATTERN_CHARS + 1))).toThrow(/longer than/);
    expect(compileUserPattern("a".repeat(MAX_USER_PATTERN_CHARS)).test("a".repeat(600))).toBe(true);
    for (const source of [
      `.{${MAX_USER_PATTERN_STATES + 1}}`,
      "(.{1000}){1000}",
      "((((.{10}){10}){10}){10})",
      "a{99999999999999999999}",
      "a{0,100000}",
    ]) {
      expect(() => compileUserPattern(source), source).toThrow(/states/);
    }
    // Repeating an empty group costs nothing and is not expanded.
    expect(compileUserPattern("(?:){1000000000}X").test("X")).toBe(true);
  });
});
