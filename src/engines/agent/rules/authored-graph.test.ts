import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../types.js";
import { createRulesAgentEngine } from "./index.js";

/** The reply of the opening turn of a graph whose first state says `action`. */
async function openingReply(action: string): Promise<string> {
  const body = {
    new_user_initial_state: "hello",
    returning_user_initial_state: "hello",
    terminal_state: "end",
    states: [
      {
        type: "action",
        name: "hello",
        actions: [action],
        exit_conditions: [{ description: "The user says anything", next_state: "end" }],
      },
      { type: "action", name: "end", actions: ["Bye."] },
    ],
  };
  const events: AgentEvent[] = [];
  for await (const event of createRulesAgentEngine().runTurn(
    {
      conversationId: "c".repeat(24),
      persona: { name: "Ada", background: "", behaviors: [], voiceConfig: null },
      graph: { id: "a".repeat(24), version: 1, body },
      state: null,
      userMessage: null,
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
  return done.fullMessage;
}

describe("the rules engine on hostile authored actions", () => {
  // What broke: `{{constructor}}` in an authored action found Object.prototype.constructor among the
  // slots and spoke "function Object() { [native code] }" instead of the fallback.
  it("fills a `{{constructor|...}}` placeholder with its fallback", async () => {
    expect(
      await openingReply("Hi {{constructor|friend}}, {{toString|welcome}} and {{__proto__|hello}}."),
    ).toBe("Hi friend, welcome and hello.");
  });

  // What broke: each unclosed `{{a|` made the placeholder pattern scan to the end of the action, so an
  // action of 40,000 of them held the event loop for about 10 seconds.
  it("fills placeholders in an action of 40,000 unclosed ones without stalling", async () => {
    const startedAt = Date.now();
    const action = "{{a|".repeat(40_000);
    expect(await openingReply(action)).toBe(action);
    // Generous: the quadratic scan took seconds.
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });
});
