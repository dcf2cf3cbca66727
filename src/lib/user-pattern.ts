/**
 * Regular expressions written by API callers (such as `current_agent_action_type`), matched in time
 * linear in the text. A pattern compiles to a Thompson NFA whose states are all followed at once, one
 * character at a time, so nothing backtracks: `^(.|.)*X` costs what `^..X` costs, per character.
 *
 * Syntax and meaning are JavaScript's `new RegExp(source)` (no flags): literals, `.`, classes `[...]`,
 * escapes (`\d \w \s \b`, their negations, `\t \n \v \f \r \0 \xHH \uHHHH \cX`, identity escapes), anchors
 * `^ $`, groups `( )`, `(?: )`, `(?<name> )`, alternation `|` and quantifiers `* + ? {n} {n,} {n,m}` (lazy
 * forms match the same texts). Rejected with a {@link UserPatternError}, because no linear-time engine
 * runs them: backreferences (`\1`, `\k<name>`), legacy octal escapes and lookaround (`(?= )`, `(?! )`,
 * `(?<= )`, `(?<! )`). Also rejected: a pattern longer than {@link MAX_USER_PATTERN_CHARS}, or one whose
 * counted repetitions expand past {@link MAX_USER_PATTERN_STATES} states.
 */

/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_USER_PATTERN_CHARS = 512;

/**
 * Most NFA states a pattern may compile to. Counted repetition copies its operand (`x{100}` is 100 states),
 * so this bounds both compile work and the cost of one step of matching. `test(text)` costs at most
 * this many state visits per character of `text`.
 */
export const MAX_USER_PATTERN_STATES = 2_000;

/** Distinct texts whose answer a compiled pattern remembers; when full, it forgets them all. */
const TEST_MEMO_ENTRIES = 64;
/** Texts longer than this are matched every time rather than remembered. */
const TEST_MEMO_TEXT_CHARS = 256;

/** A pattern that cannot be used: its message says why, fit to show to the caller. */
export class UserPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserPatternError";
  }
}

/** A compiled caller-supplied pattern. */
export interface UserPattern {
  readonly source: string;
  /** True when the pattern matches somewhere in `text` (as `RegExp.prototype.test`), in linear time. */
  test(text: string): boolean;
}

/**
 * Compiles a caller's regular expression for linear-time matching.
 * @throws UserPatternError when the pattern is too long, malformed, too large or needs backtracking.
 */
export function compileUserPattern(source: string): UserPattern {
  if (source.length > MAX_USER_PATTERN_CHARS) {
    throw new UserPatternError(`is longer than ${MAX_USER_PATTERN_CHARS} characters`);
  }
  try {
    // Only parses (V8 compiles a RegExp on its first use), so this checks the syntax in linear time.
    new RegExp(source);
  } catch {
    throw new UserPatternError("is not a valid regular expression");
  }
  const parser = new Parser(source);
  const tree = parser.parse();
  return new CompiledPattern(source, compile(tree));
}

// ---- Character sets -----------------------------------------------------------------------------------

/** Code-unit ranges as flat inclusive pairs `[lo0, hi0, lo1, hi1, ...]`, matched or (negated) not. */
interface CharSet {
  negated: boolean;
  ranges: number[];
}

const MAX_CODE_UNIT = 0xffff;
const DIGIT_RANGES = [0x30, 0x39];
const WORD_RANGES = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE_RANGES = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f,
  0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
];
const LINE_TERMINATOR_RANGES = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];
const DOT: CharSet = { negated: true, ranges: LINE_TERMINATOR_RANGES };

/** The code units not in `ranges` (sorted, disjoint). */
function complement(ranges: number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    if (lo > next) out.push(next, lo - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= MAX_CODE_UNIT) out.push(next, MAX_CODE_UNIT);
  return out;
}

function inSet(set: CharSet, code: number): boolean {
  const { ranges } = set;
  let found = false;
  for (let i = 0; i < ranges.length && !found; i += 2) found = code >= ranges[i]! && code <= ranges[i + 1]!;
  return found !== set.negated;
}

function isWordCode(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    (code >= 0x61 && code <= 0x7a)
  );
}

/** The set a class escape letter (`d D w W s S`) stands for, or undefined for another letter. */
function classEscapeSet(letter: string): CharSet | undefined {
  switch (letter) {
    case "d":
      return { negated: false, ranges: DIGIT_RANGES };
    case "D":
      return { negated: true, ranges: DIGIT_RANGES };
    case "w":
      return { negated: false, ranges: WORD_RANGES };
    case "W":
      return { negated: true, ranges: WORD_RANGES };
    case "s":
      return { negated: false, ranges: SPACE_RANGES };
    case "S":
      return { negated: true, ranges: SPACE_RANGES };
    default:
      return undefined;
  }
}

// ---- Syntax tree and parser ---------------------------------------------------------------------------

type Assertion = "start" | "end" | "word-boundary" | "not-word-boundary";

/** A parsed pattern; `size` is the number of NFA states it compiles to. */
type Node =
  | { kind: "empty"; size: 0 }
  | { kind: "char"; set: CharSet; size: 1 }
  | { kind: "assert"; assertion: Assertion; size: 1 }
  | { kind: "concat"; items: Node[]; size: number }
  | { kind: "alt"; options: Node[]; size: number }
  | { kind: "repeat"; item: Node; min: number; max: number; size: number };

const EMPTY: Node = { kind: "empty", size: 0 };
const charNode = (set: CharSet): Node => ({ kind: "char", set, size: 1 });
const literal = (code: number): Node => charNode({ negated: false, ranges: [code, code] });

const HEX = /^[0-9a-fA-F]+$/;
const QUANTIFIER_BRACES = /\{(\d+)(,(\d*))?\}/y;

function checkSize(size: number): number {
  if (size > MAX_USER_PATTERN_STATES) {
    throw new UserPatternError(`expands to more than ${MAX_USER_PATTERN_STATES} states`);
  }
  return size;
}

/** Recursive descent over a pattern that `new RegExp` has already accepted. */
class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new UserPatternError("is not a valid regular expression");
    return node;
  }

  private alternation(): Node {
    const options = [this.concatenation()];
    while (this.src[this.pos] === "|") {
      this.pos += 1;
      options.push(this.concatenation());
    }
    if (options.length === 1) return options[0]!;
    const size = options.reduce((sum, o) => sum + o.size, 0) + 2 * (options.length - 1);
    return { kind: "alt", options, size: checkSize(size) };
  }

  private concatenation(): Node {
    const items: Node[] = [];
    let size = 0;
    while (this.pos < this.src.length && this.src[this.pos] !== "|" && this.src[this.pos] !== ")") {
      const item = this.quantified();
      size = checkSize(size + item.size);
      items.push(item);
    }
    if (items.length === 0) return EMPTY;
    return items.length === 1 ? items[0]! : { kind: "concat", items, size };
  }

  private quantified(): Node {
    const item = this.atom();
    const bounds = this.quantifier();
    if (bounds === undefined) return item;
    if (this.src[this.pos] === "?") this.pos += 1; // lazy: the same texts match
    // Repeating nothing is nothing, however many times (and must not loop `min` times to compile).
    if (item.size === 0) return EMPTY;
    const [min, max] = bounds;
    const size =
      max === Infinity ? min * item.size + item.size + 2 : min * item.size + (max - min) * (item.size + 1);
    return { kind: "repeat", item, min, max, size: checkSize(size) };
  }

  private quantifier(): [number, number] | undefined {
    const c = this.src[this.pos];
    if (c === "*" || c === "+" || c === "?") {
      this.pos += 1;
      return c === "*" ? [0, Infinity] : c === "+" ? [1, Infinity] : [0, 1];
    }
    if (c !== "{") return undefined;
    QUANTIFIER_BRACES.lastIndex = this.pos;
    const match = QUANTIFIER_BRACES.exec(this.src);
    if (match === null) return undefined;
    this.pos = QUANTIFIER_BRACES.lastIndex;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === "" ? Infinity : Number(match[3]);
    return [min, max];
  }

  private atom(): Node {
    const c = this.src[this.pos]!;
    switch (c) {
      case "(":
        return this.group();
      case ".":
        this.pos += 1;
        return charNode(DOT);
      case "^":
        this.pos += 1;
        return { kind: "assert", assertion: "start", size: 1 };
      case "$":
        this.pos += 1;
        return { kind: "assert", assertion: "end", size: 1 };
      case "[":
        return this.characterClass();
      case "\\":
        return this.escape();
      case "*":
      case "+":
      case "?":
        throw new UserPatternError("is not a valid regular expression");
      default:
        this.pos += 1;
        return literal(c.charCodeAt(0));
    }
  }

  private group(): Node {
    const rest = this.src.slice(this.pos, this.pos + 4);
    if (
      rest.startsWith("(?=") ||
      rest.startsWith("(?!") ||
      rest.startsWith("(?<=") ||
      rest.startsWith("(?<!")
    ) {
      throw new UserPatternError("uses lookaround, which is not supported");
    }
    if (rest.startsWith("(?:")) {
      this.pos += 3;
    } else if (rest.startsWith("(?<")) {
      const close = this.src.indexOf(">", this.pos);
      if (close < 0) throw new UserPatternError("is not a valid regular expression");
      this.pos = close + 1;
    } else if (rest.startsWith("(?")) {
      throw new UserPatternError("uses a group kind that is not supported");
    } else {
      this.pos += 1;
    }
    const inner = this.alternation();
    if (this.src[this.pos] !== ")") throw new UserPatternError("is not a valid regular expression");
    this.pos += 1;
    return inner;
  }

  /** An escape outside a class; `pos` is at the backslash. */
  private escape(): Node {
    const letter = this.src[this.pos + 1];
    if (letter === undefined) throw new UserPatternError("is not a valid regular expression");
    const set = classEscapeSet(letter);
    if (set !== undefined) {
      this.pos += 2;
      return charNode(set);
    }
    if (letter === "b" || letter === "B") {
      this.pos += 2;
      return { kind: "assert", assertion: letter === "b" ? "word-boundary" : "not-word-boundary", size: 1 };
    }
    if (letter >= "1" && letter <= "9")
      throw new UserPatternError("uses a backreference, which is not supported");
    if (letter === "k" && this.src[this.pos + 2] === "<") {
      throw new UserPatternError("uses a backreference, which is not supported");
    }
    return literal(this.escapedCode(false));
  }

  /**
   * The code unit of a character escape at `pos` (a backslash), advancing past it. Inside a class `\b` is
   * a backspace and `\c` also takes a digit or `_`.
   */
  private escapedCode(inClass: boolean): number {
    const letter = this.src[this.pos + 1]!;
    const simple: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
    if (Object.hasOwn(simple, letter)) {
      this.pos += 2;
      return simple[letter]!;
    }
    if (letter === "b" && inClass) {
      this.pos += 2;
      return 8;
    }
    if (letter === "0") {
      const after = this.src[this.pos + 2];
      if (after !== undefined && after >= "0" && after <= "9") {
        throw new UserPatternError("uses an octal escape, which is not supported");
      }
      this.pos += 2;
      return 0;
    }
    if (letter >= "1" && letter <= "9")
      throw new UserPatternError("uses an octal escape, which is not supported");
    if (letter === "c") {
      const control = this.src[this.pos + 2] ?? "";
      if (/^[A-Za-z]$/.test(control) || (inClass && /^[0-9_]$/.test(control))) {
        this.pos += 3;
        return control.charCodeAt(0) % 32;
      }
      // Without a control letter, `\c` is a literal backslash followed by `c`.
      this.pos += 1;
      return 0x5c;
    }
    if (letter === "x" || letter === "u") {
      const digits = this.src.slice(this.pos + 2, this.pos + (letter === "x" ? 4 : 6));
      if (digits.length === (letter === "x" ? 2 : 4) && HEX.test(digits)) {
        this.pos += 2 + digits.length;
        return parseInt(digits, 16);
      }
    }
    this.pos += 2;
    return letter.charCodeAt(0);
  }

  private characterClass(): Node {
    this.pos += 1;
    const negated = this.src[this.pos] === "^";
    if (negated) this.pos += 1;
    const ranges: number[] = [];
    const add = (atom: number | CharSet) => {
      if (typeof atom === "number") ranges.push(atom, atom);
      else ranges.push(...(atom.negated ? complement(atom.ranges) : atom.ranges));
    };
    while (this.src[this.pos] !== "]") {
      if (this.pos >= this.src.length) throw new UserPatternError("is not a valid regular expression");
      const first = this.classAtom();
      if (this.src[this.pos] === "-" && this.src[this.pos + 1] !== "]" && this.pos + 1 < this.src.length) {
        this.pos += 1;
        const last = this.classAtom();
        if (typeof first === "number" && typeof last === "number") {
          ranges.push(first, last);
        } else {
          add(first);
          add(0x2d);
          add(last);
        }
      } else {
        add(first);
      }
    }
    this.pos += 1;
    return charNode({ negated, ranges: normalize(ranges) });
  }

  private classAtom(): number | CharSet {
    const c = this.src[this.pos]!;
    if (c !== "\\") {
      this.pos += 1;
      return c.charCodeAt(0);
    }
    const letter = this.src[this.pos + 1];
    if (letter === undefined) throw new UserPatternError("is not a valid regular expression");
    const set = classEscapeSet(letter);
    if (set !== undefined) {
      this.pos += 2;
      return set;
    }
    if (letter === "-") {
      this.pos += 2;
      return 0x2d;
    }
    return this.escapedCode(true);
  }
}

/** Sorts ranges and merges the ones that touch. */
function normalize(ranges: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (out.length > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

// ---- NFA program and matcher --------------------------------------------------------------------------

type Op = "char" | "split" | "jump" | "assert" | "match";

interface Program {
  ops: Op[];
  /** Jump target, first branch of a split. */
  x: number[];
  /** Second branch of a split. */
  y: number[];
  sets: (CharSet | undefined)[];
  assertions: (Assertion | undefined)[];
}

function compile(tree: Node): Program {
  const program: Program = { ops: [], x: [], y: [], sets: [], assertions: [] };
  const push = (op: Op, extra: { set?: CharSet; assertion?: Assertion } = {}): number => {
    program.ops.push(op);
    program.x.push(-1);
    program.y.push(-1);
    program.sets.push(extra.set);
    program.assertions.push(extra.assertion);
    return program.ops.length - 1;
  };
  const emit = (node: Node): void => {
    switch (node.kind) {
      case "empty":
        return;
      case "char":
        push("char", { set: node.set });
        return;
      case "assert":
        push("assert", { assertion: node.assertion });
        return;
      case "concat":
        for (const item of node.items) emit(item);
        return;
      case "alt": {
        const jumps: number[] = [];
        node.options.forEach((option, index) => {
          if (index === node.options.length - 1) {
            emit(option);
            return;
          }
          const split = push("split");
          program.x[split] = split + 1;
          emit(option);
          jumps.push(push("jump"));
          program.y[split] = program.ops.length;
        });
        for (const jump of jumps) program.x[jump] = program.ops.length;
        return;
      }
      case "repeat": {
        for (let i = 0; i < node.min; i += 1) emit(node.item);
        if (node.max === Infinity) {
          const split = push("split");
          program.x[split] = split + 1;
          emit(node.item);
          program.x[push("jump")] = split;
          program.y[split] = program.ops.length;
          return;
        }
        const splits: number[] = [];
        for (let i = node.min; i < node.max; i += 1) {
          const split = push("split");
          program.x[split] = split + 1;
          splits.push(split);
          emit(node.item);
        }
        for (const split of splits) program.y[split] = program.ops.length;
        return;
      }
    }
  };
  emit(tree);
  push("match");
  return program;
}

class CompiledPattern implements UserPattern {
  private readonly memo = new Map<string, boolean>();

  constructor(
    readonly source: string,
    private readonly program: Program,
  ) {}

  test(text: string): boolean {
    const remembered = this.memo.get(text);
    if (remembered !== undefined) return remembered;
    const result = this.run(text);
    if (text.length <= TEST_MEMO_TEXT_CHARS) {
      if (this.memo.size >= TEST_MEMO_ENTRIES) this.memo.clear();
      this.memo.set(text, result);
    }
    return result;
  }

  /** Follows every NFA state at once: O(states) work per character, no backtracking. */
  private run(text: string): boolean {
    const { ops, x, y, sets, assertions } = this.program;
    const stateCount = ops.length;
    let current = new Int32Array(stateCount);
    let next = new Int32Array(stateCount);
    let currentSize = 0;
    const marks = new Uint32Array(stateCount);
    const stack = new Int32Array(stateCount * 2 + 2);
    let generation = 1;

    const holds = (assertion: Assertion, pos: number): boolean => {
      switch (assertion) {
        case "start":
          return pos === 0;
        case "end":
          return pos === text.length;
        default: {
          const before = pos > 0 && isWordCode(text.charCodeAt(pos - 1));
          const after = pos < text.length && isWordCode(text.charCodeAt(pos));
          return (before !== after) === (assertion === "word-boundary");
        }
      }
    };
    /** Adds `start` and every state reachable from it without reading a character; returns the new size. */
    const addState = (list: Int32Array, size: number, start: number, pos: number): number => {
      let top = 0;
      stack[top++] = start;
      while (top > 0) {
        const pc = stack[--top]!;
        if (marks[pc] === generation) continue;
        marks[pc] = generation;
        switch (ops[pc]!) {
          case "jump":
            stack[top++] = x[pc]!;
            break;
          case "split":
            stack[top++] = y[pc]!;
            stack[top++] = x[pc]!;
            break;
          case "assert":
            if (holds(assertions[pc]!, pos)) stack[top++] = pc + 1;
            break;
          default:
            list[size++] = pc;
        }
      }
      return size;
    };

    for (let pos = 0; ; pos += 1) {
      // A match may start at any position.
      currentSize = addState(current, currentSize, 0, pos);
      for (let i = 0; i < currentSize; i += 1) if (ops[current[i]!] === "match") return true;
      if (pos === text.length) return false;
      generation += 1;
      const code = text.charCodeAt(pos);
      let nextSize = 0;
      for (let i = 0; i < currentSize; i += 1) {
        const pc = current[i]!;
        if (ops[pc] === "char" && inSet(sets[pc]!, code))
          nextSize = addState(next, nextSize, pc + 1, pos + 1);
      }
      [current, next] = [next, current];
      currentSize = nextSize;
    }
  }
}
