import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { isAppError } from "../../../lib/app-error.js";
import {
  type SessionHandlers,
  type SessionPlace,
  SessionPool,
  type SessionPoolLimits,
} from "./session-pool.js";

/** A scripted worker: ready at once; `{ type: "crash" }` fails it with an uncaught error, echoes the rest. */
const SCRIPTED_WORKER = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (message) => {
  if (message.type === "crash") throw new Error("scripted crash");
  parentPort.postMessage({ type: "partial", session: message.session, text: "echo" });
});
parentPort.postMessage({ type: "ready" });
`;

let pools: SessionPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

function makePool(limits: Partial<SessionPoolLimits> = {}, source = SCRIPTED_WORKER) {
  const workers: Worker[] = [];
  const pool = new SessionPool(
    { poolSize: 2, sessionsPerWorker: 2, maxWaitingSessions: 4, ...limits },
    () => {
      const worker = new Worker(source, { eval: true });
      workers.push(worker);
      return worker;
    },
  );
  pools.push(pool);
  return { pool, workers };
}

/** Handlers that record what a session hears. */
function recorder() {
  const heard: { messages: string[]; failure: Error | undefined } = { messages: [], failure: undefined };
  const handlers: SessionHandlers = {
    onMessage: (message) => heard.messages.push(message.type),
    onFailure: (error) => (heard.failure = error),
  };
  return { heard, handlers };
}

const never = () => new AbortController().signal;

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("SessionPool", () => {
  it("places each new session on the worker with the fewest, starting up to poolSize workers", async () => {
    const { pool, workers } = makePool({ poolSize: 2, sessionsPerWorker: 2 });
    const places: SessionPlace[] = [];
    for (let session = 1; session <= 4; session += 1)
      places.push(await pool.acquire(session, recorder().handlers, never()));
    expect(workers).toHaveLength(2);
    expect(pool.activeSessions).toBe(4);
    places[0]!.release();
    places[0]!.release();
    expect(pool.activeSessions).toBe(3);
    // The freed place is on the first worker: the next session goes there, no third worker starts.
    places.push(await pool.acquire(5, recorder().handlers, never()));
    expect(workers).toHaveLength(2);
  });

  it("routes a worker's messages to the session they name", async () => {
    const { pool } = makePool({ poolSize: 1 });
    const a = recorder();
    const b = recorder();
    const placeA = await pool.acquire(1, a.handlers, never());
    await pool.acquire(2, b.handlers, never());
    placeA.post({ type: "end", session: 1 });
    await expect.poll(() => a.heard.messages).toEqual(["partial"]);
    expect(b.heard.messages).toEqual([]);
  });

  it("a waiter that is aborted leaves the queue and takes no place (was: each aborted waiter lost a worker)", async () => {
    // Broke: the aborted waiter's resolve stayed queued, so the next free worker went to nobody.
    const { pool } = makePool({ poolSize: 1, sessionsPerWorker: 1 });
    const held = await pool.acquire(1, recorder().handlers, never());
    const controller = new AbortController();
    const waiters = [2, 3].map((session) =>
      errorOf(pool.acquire(session, recorder().handlers, controller.signal)),
    );
    expect(pool.waitingSessions).toBe(2);
    const reason = new Error("client left");
    controller.abort(reason);
    expect(await Promise.all(waiters)).toEqual([reason, reason]);
    expect(pool.waitingSessions).toBe(0);
    held.release();
    const next = await pool.acquire(4, recorder().handlers, never());
    expect(pool.activeSessions).toBe(1);
    next.release();
  });

  it("waiters get places in order as sessions end", async () => {
    const { pool } = makePool({ poolSize: 1, sessionsPerWorker: 1 });
    const first = await pool.acquire(1, recorder().handlers, never());
    const order: number[] = [];
    const waiting = [2, 3].map((session) =>
      pool.acquire(session, recorder().handlers, never()).then((place) => {
        order.push(session);
        place.release();
      }),
    );
    first.release();
    await Promise.all(waiting);
    expect(order).toEqual([2, 3]);
  });

  it("refuses a session beyond the wait-queue bound with service_unavailable", async () => {
    const { pool } = makePool({ poolSize: 1, sessionsPerWorker: 1, maxWaitingSessions: 1 });
    const held = await pool.acquire(1, recorder().handlers, never());
    const waiting = pool.acquire(2, recorder().handlers, never());
    const refused = await errorOf(pool.acquire(3, recorder().handlers, never()));
    expect(isAppError(refused) && refused.code === "service_unavailable").toBe(true);
    held.release();
    (await waiting).release();
  });

  it("a worker that dies fails every session on it and is replaced, never reused", async () => {
    const { pool, workers } = makePool({ poolSize: 1, sessionsPerWorker: 2 });
    const a = recorder();
    const b = recorder();
    const placeA = await pool.acquire(1, a.handlers, never());
    const placeB = await pool.acquire(2, b.handlers, never());
    const waiting = pool.acquire(3, recorder().handlers, never());
    placeA.post({ type: "crash" } as never);
    await expect.poll(() => a.heard.failure).toBeInstanceOf(Error);
    expect(b.heard.failure).toBeInstanceOf(Error);
    // The waiter got a place on a new worker.
    const placeC = await waiting;
    expect(workers).toHaveLength(2);
    placeA.release();
    placeB.release();
    expect(pool.activeSessions).toBe(1);
    placeC.release();
    await pool.acquire(4, recorder().handlers, never());
    expect(workers).toHaveLength(2);
  });

  it("a worker that fails to start fails the sessions placed on it", async () => {
    const { pool } = makePool({ poolSize: 1 }, `throw new Error("no model");`);
    const error = await errorOf(pool.acquire(1, recorder().handlers, never()));
    expect(error).toBeInstanceOf(Error);
    expect(pool.activeSessions).toBe(0);
    expect(pool.workers).toBe(0);
  });

  it("close fails waiters and sessions with service_unavailable", async () => {
    const { pool } = makePool({ poolSize: 1, sessionsPerWorker: 1 });
    const a = recorder();
    await pool.acquire(1, a.handlers, never());
    const waiting = errorOf(pool.acquire(2, recorder().handlers, never()));
    await pool.close();
    const error = await waiting;
    expect(isAppError(error) && error.code === "service_unavailable").toBe(true);
    expect(isAppError(a.heard.failure) && a.heard.failure.code === "service_unavailable").toBe(true);
  });
});
