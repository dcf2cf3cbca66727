import { describe, expect, it } from "vitest";
import type { SttEvent } from "../types.js";
import { audioFingerprint, FakeSttEngine } from "./engine.js";

const samples = new Int16Array(16_000).map((_, i) => (i * 37) % 1000);
const transcripts = new Map([[audioFingerprint(samples), "hello there"]]);

/** The samples in 10 chunks, counting how many the recognizer has taken. */
function counted() {
  const state = { taken: 0 };
  const audio = (async function* () {
    for (let i = 0; i < 10; i += 1) {
      state.taken += 1;
      yield samples.slice(i * 1600, (i + 1) * 1600);
    }
  })();
  return { audio, state };
}

async function collect(engine: FakeSttEngine, audio: AsyncIterable<Int16Array>, signal: AbortSignal) {
  const events: SttEvent[] = [];
  for await (const event of engine.recognize(audio, { signal })) events.push(event);
  return events;
}

describe("FakeSttEngine faults", () => {
  it("recognizes a known recording without faults", async () => {
    const events = await collect(
      new FakeSttEngine(transcripts),
      counted().audio,
      new AbortController().signal,
    );
    expect(events.at(-1)).toMatchObject({ type: "final", text: "hello there" });
  });

  it("failAfterChunks fails once that many chunks are taken, with the given error", async () => {
    const { audio, state } = counted();
    const engine = new FakeSttEngine(transcripts, {
      failAfterChunks: 3,
      failure: () => new Error("injected"),
    });
    await expect(collect(engine, audio, new AbortController().signal)).rejects.toThrow("injected");
    expect(state.taken).toBe(3);
  });

  it("hangAfterChunks stops reading and hangs until aborted", async () => {
    const { audio, state } = counted();
    const controller = new AbortController();
    const engine = new FakeSttEngine(transcripts, { hangAfterChunks: 2 });
    const done = collect(engine, audio, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.taken).toBe(2);
    const reason = new Error("gave up");
    controller.abort(reason);
    await expect(done).rejects.toBe(reason);
  });

  it("hangUntilAborted reads everything and gives no final until aborted", async () => {
    const { audio, state } = counted();
    const controller = new AbortController();
    const events: SttEvent[] = [];
    const engine = new FakeSttEngine(transcripts, { hangUntilAborted: true });
    const done = (async () => {
      for await (const event of engine.recognize(audio, { signal: controller.signal })) events.push(event);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.taken).toBe(10);
    expect(events.some((e) => e.type === "final")).toBe(false);
    controller.abort(new Error("timeout"));
    await expect(done).rejects.toThrow("timeout");
  });
});
