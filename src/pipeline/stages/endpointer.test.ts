import { describe, expect, it } from "vitest";
import { endpoint, type EndpointEvent } from "./endpointer.js";

async function run(pattern: string, options = {}) {
  async function* frames() {
    for (let i = 0; i < pattern.length; i += 1)
      yield { startMs: i * 20, durationMs: 20, probability: pattern[i] === "#" ? 0.9 : 0.1 };
  }
  const events: EndpointEvent[] = [];
  for await (const e of endpoint(frames(), {
    silenceDurationMs: 100,
    minSpeechMs: 60,
    prefixPaddingMs: 40,
    ...options,
  }))
    events.push(e);
  return events;
}

describe("endpointer", () => {
  it("reports a segment with its onset and the end of its last speech frame", async () => {
    expect(await run("......#####..##........")).toEqual([
      { type: "speech-start", startMs: 120, paddedStartMs: 80 },
      { type: "speech-end", startMs: 120, endMs: 300 },
    ]);
  });

  it("ignores bursts shorter than the minimum speech", async () => {
    expect(await run("...##.........#.........")).toEqual([]);
  });

  it("ends an open segment when the input ends", async () => {
    expect((await run("..######")).at(-1)).toEqual({ type: "speech-end", startMs: 40, endMs: 160 });
  });
});
