import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import {
  chunked,
  clipsWithPauses,
  librivoxClips,
  readPcm16Wav,
} from "../../../../test/helpers/speech-corpus.js";
import { isAppError } from "../../../lib/app-error.js";
import type { SttEvent } from "../types.js";
import { type PocketSphinxOptions, PocketSphinxEngine, startRecognizerWorker } from "./engine.js";

/** Real PocketSphinx workers, with the threads they start recorded (to kill one). */
let engines: PocketSphinxEngine[] = [];
function makeEngine(options: PocketSphinxOptions) {
  const workers: Worker[] = [];
  const engine = new PocketSphinxEngine({
    ...options,
    startWorker: (data) => {
      const worker = startRecognizerWorker(data);
      workers.push(worker);
      return worker;
    },
  });
  engines.push(engine);
  return { engine, workers };
}
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
});

/** A gate a test opens; audio waiting on it waits until then. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Audio that sends `first` (if any), then nothing until the gate opens, then `rest`. */
async function* stalled(
  first: Int16Array | undefined,
  opened: Promise<void>,
  rest: Int16Array = new Int16Array(0),
): AsyncIterable<Int16Array> {
  if (first !== undefined) yield first;
  await opened;
  yield* chunked(rest);
}

async function finalOf(events: AsyncIterable<SttEvent>): Promise<Extract<SttEvent, { type: "final" }>> {
  for await (const event of events) if (event.type === "final") return event;
  throw new Error("no final result");
}

function recognize(engine: PocketSphinxEngine, audio: AsyncIterable<Int16Array>, signal?: AbortSignal) {
  return finalOf(engine.recognize(audio, { signal: signal ?? new AbortController().signal }));
}

/** Not stalled: settles within a generous bound, or fails naming `what`. */
function settles<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} stalled`)), 30_000).unref()),
  ]);
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

const note = () => readPcm16Wav(librivoxClips()[1]!.wavPath).samples;
const aByte = () => new Int16Array(1);

describe("PocketSphinxEngine sessions", () => {
  it("two trickling uploads do not starve a third user's note (was: each held a worker at one byte per stall)", async () => {
    // Broke: each upload took one of the two workers when it started and kept it while trickling.
    const { engine } = makeEngine({ poolSize: 2 });
    const trickle = gate();
    const controller = new AbortController();
    const uploads = [1, 2].map(() =>
      errorOf(recognize(engine, stalled(aByte(), trickle.opened), controller.signal)),
    );
    const final = await settles(recognize(engine, chunked(note())), "the third note");
    expect(final.words.length).toBeGreaterThan(0);
    controller.abort(new Error("upload stalled"));
    for (const error of await Promise.all(uploads)) expect(error).toEqual(new Error("upload stalled"));
  });

  it("a recognition whose audio has not started holds no decoder (was: it took a worker before any audio)", async () => {
    // Broke: recognize() took a worker on its call, so one silent upload blocked a pool of one.
    const { engine } = makeEngine({ poolSize: 1, sessionsPerWorker: 1 });
    const upload = gate();
    const controller = new AbortController();
    const silent = errorOf(recognize(engine, stalled(undefined, upload.opened), controller.signal));
    const final = await settles(recognize(engine, chunked(note())), "the note behind a silent upload");
    expect(final.words.length).toBeGreaterThan(0);
    expect(engine.load.activeSessions).toBe(0);
    controller.abort(new Error("gone"));
    expect(await silent).toEqual(new Error("gone"));
  });

  it("recognitions aborted while waiting do not lose the workers (was: after poolSize aborts all hung)", async () => {
    // Broke: an aborted waiter's resolve stayed queued, and release() handed the worker to it.
    const { engine } = makeEngine({ poolSize: 1, sessionsPerWorker: 1 });
    const holder = gate();
    const held = recognize(engine, stalled(aByte(), holder.opened, note()));
    await expect.poll(() => engine.load.activeSessions, { timeout: 30_000 }).toBe(1);
    const controller = new AbortController();
    const waiters = [1, 2].map(() => errorOf(recognize(engine, chunked(note()), controller.signal)));
    await expect.poll(() => engine.load.waitingSessions).toBe(2);
    controller.abort(new Error("client left"));
    expect(await Promise.all(waiters)).toEqual([new Error("client left"), new Error("client left")]);
    expect(engine.load.waitingSessions).toBe(0);
    holder.open();
    await settles(held, "the first recognition");
    const final = await settles(recognize(engine, chunked(note())), "the recognition after the aborts");
    expect(final.words.length).toBeGreaterThan(0);
  });

  it("a worker that dies is replaced, never reused (was: release() put it back among the idle)", async () => {
    // Broke: the recognition on a worker that exited gave the worker back to the idle pool; the next
    // recognition was sent to it and hung.
    const { engine, workers } = makeEngine({ poolSize: 1, sessionsPerWorker: 1 });
    const stall = gate();
    const session = errorOf(recognize(engine, stalled(aByte(), stall.opened)));
    await expect.poll(() => engine.load.activeSessions, { timeout: 30_000 }).toBe(1);
    expect(workers).toHaveLength(1);
    await workers[0]!.terminate();
    expect(await session).toBeInstanceOf(Error);
    const final = await settles(recognize(engine, chunked(note())), "the recognition after the crash");
    expect(final.words.length).toBeGreaterThan(0);
    expect(workers).toHaveLength(2);
  });

  it("a worker that dies fails every session on it", async () => {
    const { engine, workers } = makeEngine({ poolSize: 1, sessionsPerWorker: 2 });
    const stall = gate();
    const sessions = [1, 2].map(() => errorOf(recognize(engine, stalled(aByte(), stall.opened))));
    await expect.poll(() => engine.load.activeSessions, { timeout: 30_000 }).toBe(2);
    await workers[0]!.terminate();
    for (const error of await Promise.all(sessions)) expect(error).toBeInstanceOf(Error);
    expect(engine.load).toEqual({ activeSessions: 0, waitingSessions: 0, workers: 0 });
  });

  it("two sessions on one worker both make progress: a short note ends while a long one is decoded", async () => {
    const { engine } = makeEngine({ poolSize: 1, sessionsPerWorker: 2 });
    const clips = librivoxClips();
    const long = clipsWithPauses([clips[2]!, clips[3]!], 500).samples;
    const longAlone = await recognize(engine, chunked(long));
    const noteAlone = await recognize(engine, chunked(note()));
    const order: string[] = [];
    let longStarted = () => {};
    const started = new Promise<void>((resolve) => (longStarted = resolve));
    const longRun = (async () => {
      for await (const event of engine.recognize(chunked(long), { signal: new AbortController().signal })) {
        if (event.type === "partial") longStarted();
        if (event.type === "final") {
          order.push("long");
          return event;
        }
      }
      throw new Error("no final result");
    })();
    await started;
    const noteFinal = await recognize(engine, chunked(note()));
    order.push("note");
    const longFinal = await longRun;
    expect(order).toEqual(["note", "long"]);
    // Each session has a decoder of its own: results do not depend on what else the worker decodes
    // (confidences to 3 decimals, see SphinxDecoder.start).
    for (const [actual, expected] of [
      [noteFinal, noteAlone],
      [longFinal, longAlone],
    ] as const) {
      expect(actual.text).toBe(expected.text);
      expect(actual.words.map(({ word, startMs, endMs }) => ({ word, startMs, endMs }))).toEqual(
        expected.words.map(({ word, startMs, endMs }) => ({ word, startMs, endMs })),
      );
      actual.words.forEach((w, i) =>
        expect(w.confidence).toBeCloseTo(expected.words[i]?.confidence ?? Number.NaN, 3),
      );
    }
  });

  it("a recognition whose audio has ended is decoded before the rest of a long upload on its worker", async () => {
    const { engine } = makeEngine({ poolSize: 1, sessionsPerWorker: 2 });
    const clips = librivoxClips();
    const long = clipsWithPauses([clips[0]!, clips[2]!, clips[3]!, clips[4]!], 300).samples;
    const noteAlone = await recognize(engine, chunked(note()));
    let longPartials = 0;
    let longStarted = () => {};
    const started = new Promise<void>((resolve) => (longStarted = resolve));
    const longRun = (async () => {
      for await (const event of engine.recognize(chunked(long), { signal: new AbortController().signal })) {
        if (event.type === "partial") {
          longPartials += 1;
          longStarted();
        }
        if (event.type === "final") return event;
      }
      throw new Error("no final result");
    })();
    await started;
    const partialsBefore = longPartials;
    const noteFinal = await recognize(engine, chunked(note()));
    const longPartialsDuringNote = longPartials - partialsBefore;
    const longFinal = await longRun;
    expect(noteFinal.text).toBe(noteAlone.text);
    expect(longFinal.text).not.toBe("");
    // The note's audio and its end arrive at once, so the worker turns to it and finishes it: the long
    // upload's decoding moves on by at most the piece in hand and one turn, where taking turns piece by
    // piece until the note's end would decode as much of it as of the note (about 3 s, a dozen partials).
    expect(longPartialsDuringNote).toBeLessThanOrEqual(2);
  });

  it("a cancelled recognition frees its place for the next one", async () => {
    const { engine, workers } = makeEngine({ poolSize: 1, sessionsPerWorker: 1 });
    const controller = new AbortController();
    let sent = 0;
    const audio = (async function* () {
      for await (const chunk of chunked(note(), 800)) {
        yield chunk;
        sent += 1;
        if (sent === 10) controller.abort(new Error("barge-in"));
      }
    })();
    expect(await errorOf(recognize(engine, audio, controller.signal))).toEqual(new Error("barge-in"));
    expect(engine.load.activeSessions).toBe(0);
    const alone = await recognize(engine, chunked(note()));
    expect(alone.words.length).toBeGreaterThan(0);
    expect(workers).toHaveLength(1);
  });

  it("refuses a recognition with service_unavailable when the wait queue is full", async () => {
    const { engine } = makeEngine({ poolSize: 1, sessionsPerWorker: 1, maxWaitingSessions: 0 });
    const holder = gate();
    const held = recognize(engine, stalled(aByte(), holder.opened));
    await expect.poll(() => engine.load.activeSessions, { timeout: 30_000 }).toBe(1);
    const refused = await errorOf(recognize(engine, chunked(note())));
    expect(isAppError(refused) && refused.code === "service_unavailable").toBe(true);
    holder.open();
    await held;
  });

  it("audio without samples gives an empty result without starting a worker", async () => {
    const { engine, workers } = makeEngine({ poolSize: 1 });
    const final = await recognize(engine, chunked(new Int16Array(0)));
    expect(final).toMatchObject({ text: "", words: [], mode: "open" });
    expect(workers).toHaveLength(0);
  });
});
