import { beforeEach, describe, expect, it, vi } from "vitest";
import { demoGraphVersionBody } from "../../../domain/demo/clinic-receptionist.js";
import type { AgentConversationState, AgentEvent } from "../types.js";
import { createRulesAgentEngine } from "./index.js";
import {
  classifyExitCondition,
  featuresOf,
  isFarewell,
  MAX_UNDERSTOOD_TEXT_CHARS,
  MAX_WORD_CHARS,
} from "./intent-classifier.js";

/** Lengths of the words handed to the Porter stemmer and of the texts handed to chrono-node. */
const work = vi.hoisted(() => ({ stemmedLengths: [] as number[], parsedLengths: [] as number[] }));

vi.mock("natural/lib/natural/stemmers/porter_stemmer.js", async (importOriginal) => {
  const original = (await importOriginal<{ default: { stem(word: string): string } }>()).default;
  return {
    default: {
      stem(word: string): string {
        work.stemmedLengths.push(word.length);
        return original.stem(word);
      },
    },
  };
});

vi.mock("chrono-node", async (importOriginal) => {
  const original = await importOriginal<typeof import("chrono-node")>();
  return {
    ...original,
    parse: (text: string, ...rest: [Date, { forwardDate: boolean }]) => {
      work.parsedLengths.push(text.length);
      return original.parse(text, ...rest);
    },
  };
});

const CONDITIONS = [
  "The user accepts the offered time",
  "The user asks for another time",
  "The user describes the reason for the visit",
];
const ONE_MIB = 1024 * 1024;

beforeEach(() => {
  work.stemmedLengths.length = 0;
  work.parsedLengths.length = 0;
});

describe("the rules engine on hostile messages", () => {
  // What broke: a 32,000-letter word went whole into the Porter stemmer, which is quadratic in the
  // token's length, and held the event loop (every client) for about 4 seconds.
  it("does not stem a 32,000-letter word", () => {
    const match = classifyExitCondition(`yes ${"a".repeat(32_000)} works`, CONDITIONS);
    expect(match?.index).toBe(0);
    expect(work.stemmedLengths.length).toBeGreaterThan(0);
    expect(Math.max(...work.stemmedLengths)).toBeLessThanOrEqual(MAX_WORD_CHARS);
  });

  // What broke: a 1 MiB message was tokenized, stemmed and date-parsed whole, holding the CPU at 100%
  // for over 15 minutes.
  it("reads no more than the first MAX_UNDERSTOOD_TEXT_CHARS of a 1 MiB message", () => {
    for (const message of [
      "yes that works ".repeat(ONE_MIB / 15),
      "a".repeat(ONE_MIB),
      "'".repeat(ONE_MIB),
      `not ${" ".repeat(ONE_MIB)} good`,
      "ab ".repeat(ONE_MIB / 3),
    ]) {
      work.stemmedLengths.length = 0;
      classifyExitCondition(message, CONDITIONS);
      isFarewell(message);
      expect(work.stemmedLengths.length).toBeLessThanOrEqual(MAX_UNDERSTOOD_TEXT_CHARS / 2);
      expect(Math.max(0, ...work.stemmedLengths)).toBeLessThanOrEqual(MAX_WORD_CHARS);
    }
    expect(classifyExitCondition("yes that works ".repeat(ONE_MIB / 15), CONDITIONS)?.index).toBe(0);
  });

  it("hands chrono-node only the start of a 1 MiB message and still fills slots from it", async () => {
    const engine = createRulesAgentEngine();
    const graph = { id: "a".repeat(24), version: 1, body: demoGraphVersionBody };
    const run = async (state: AgentConversationState | null, text: string | null) => {
      const events: AgentEvent[] = [];
      for await (const event of engine.runTurn(
        {
          conversationId: "c".repeat(24),
          persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
          graph,
          state,
          userMessage: text === null ? null : { kind: "user-message", text },
          currentStateName: null,
          history: [],
          isReturningUser: false,
          user: { firstName: "Sam", lastName: "Lee", timezone: "UTC", preferredLanguage: "en-US" },
          now: new Date("2026-11-24T09:00:00Z"),
        },
        { signal: new AbortController().signal },
      ))
        events.push(event);
      const done = events.at(-1);
      if (done?.kind !== "done") throw new Error("turn did not end with done");
      return done;
    };
    const opening = await run(null, null);
    const reason = await run(opening.nextState, "I have a fever");
    work.parsedLengths.length = 0;
    const other = await run(
      reason.nextState,
      `could we do a different day, maybe friday at 2 pm ${"x".repeat(ONE_MIB)}`,
    );
    expect(work.parsedLengths).toEqual([MAX_UNDERSTOOD_TEXT_CHARS]);
    expect(other.currentStateName).toBe("offer_another_time");
    expect(other.fullMessage).toMatch(/friday at 2 pm/i);
  });

  it("still reads a negated agreement as a rejection", () => {
    expect(featuresOf("no, that doesn't work for me").concepts.has("accept")).toBe(false);
    expect(featuresOf("that is not   very good").concepts.has("accept")).toBe(false);
    expect(featuresOf("yes that works").concepts.has("accept")).toBe(true);
  });
});
