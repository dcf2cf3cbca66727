import { describe, expect, it } from "vitest";
import { type DecodeWork, DecodeQueue } from "./decode-queue.js";

/** Samples numbered from `from`, so that a test can see which ones came out where. */
const numbered = (from: number, count: number) => Int16Array.from({ length: count }, (_, i) => from + i);

/** Takes work until there is none: "A:3" for 3 samples of session A's audio, "A:end" for its finish. */
function drain(queue: DecodeQueue, names: Record<number, string>): string[] {
  const order: string[] = [];
  for (let work: DecodeWork | undefined = queue.take(); work !== undefined; work = queue.take())
    order.push(`${names[work.session]}:${work.type === "finish" ? "end" : work.samples.length}`);
  return order;
}

describe("DecodeQueue", () => {
  it("decodes the rest of an ended session, and finishes it, before the others' audio", () => {
    const queue = new DecodeQueue(4);
    queue.addAudio(1, numbered(0, 12));
    queue.addAudio(2, numbered(0, 6));
    expect(queue.take()).toMatchObject({ session: 1, samples: numbered(0, 4) });
    queue.end(2);
    expect(drain(queue, { 1: "A", 2: "B" })).toEqual(["B:4", "B:2", "B:end", "A:4", "A:4"]);
    expect(queue.isEmpty).toBe(true);
  });

  it("finishes ended sessions in the order their ends arrived", () => {
    const queue = new DecodeQueue(4);
    queue.addAudio(1, numbered(0, 4));
    queue.addAudio(2, numbered(0, 4));
    queue.end(2);
    queue.end(1);
    expect(drain(queue, { 1: "A", 2: "B" })).toEqual(["B:4", "B:end", "A:4", "A:end"]);
  });

  it("lets sessions still speaking take turns, a piece each", () => {
    const queue = new DecodeQueue(4);
    queue.addAudio(1, numbered(0, 10));
    queue.addAudio(2, numbered(0, 3));
    queue.addAudio(3, numbered(0, 5));
    expect(drain(queue, { 1: "A", 2: "B", 3: "C" })).toEqual(["A:4", "B:3", "C:4", "A:4", "C:1", "A:2"]);
    // A session that runs dry joins the turns again with its next audio.
    queue.addAudio(2, numbered(0, 2));
    expect(drain(queue, { 2: "B" })).toEqual(["B:2"]);
  });

  it("joins small chunks into pieces and splits large ones, keeping every sample in order", () => {
    const queue = new DecodeQueue(5);
    queue.addAudio(7, numbered(0, 2));
    queue.addAudio(7, numbered(2, 2));
    queue.addAudio(7, numbered(4, 9));
    queue.addAudio(7, new Int16Array(0));
    queue.end(7);
    const decoded: number[] = [];
    const pieces: number[] = [];
    for (let work = queue.take(); work?.type === "audio"; work = queue.take()) {
      pieces.push(work.samples.length);
      decoded.push(...work.samples);
    }
    expect(pieces).toEqual([5, 5, 3]);
    expect(decoded).toEqual([...numbered(0, 13)]);
  });

  it("finishes a session that ended without audio", () => {
    const queue = new DecodeQueue(4);
    queue.end(5);
    expect(queue.take()).toEqual({ type: "finish", session: 5 });
    expect(queue.take()).toBeUndefined();
  });

  it("forgets a removed session, returning how much of its audio was never decoded", () => {
    const queue = new DecodeQueue(4);
    queue.addAudio(1, numbered(0, 9));
    queue.addAudio(2, numbered(0, 4));
    queue.take();
    queue.end(1);
    expect(queue.remove(1)).toBe(5);
    expect(queue.remove(1)).toBe(0);
    expect(drain(queue, { 2: "B" })).toEqual(["B:4"]);
    expect(queue.isEmpty).toBe(true);
  });

  it("refuses audio after a session's end", () => {
    const queue = new DecodeQueue(4);
    queue.end(1);
    expect(() => queue.addAudio(1, numbered(0, 1))).toThrow(/after the end/);
  });
});
