import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { isAppError } from "./app-error.js";
import { WorkerPool } from "./worker-pool.js";

/**
 * A scripted worker: answers `{ handled }` (how many requests this thread has taken); `hold` blocks it
 * until the test opens the gate, `crash` ends the thread, `throw` fails it with an uncaught error.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const gate = new Int32Array(workerData.gate);
let handled = 0;
parentPort.on("message", (request) => {
  handled += 1;
  if (request.crash) process.exit(3);
  if (request.throw) throw new Error("scripted failure");
  if (request.hold) Atomics.wait(gate, 0, 0);
  parentPort.postMessage({ ok: true, value: { handled } });
});
`;

interface Request {
  hold?: boolean;
  crash?: boolean;
  throw?: boolean;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "worker-pool-test-"));
fs.writeFileSync(path.join(dir, "scripted-worker.js"), WORKER_SOURCE);
const callerUrl = pathToFileURL(path.join(dir, "caller.js")).href;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let pools: WorkerPool<Request, { handled: number }>[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

function makePool(size: number, maxQueuedJobs?: number) {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const pool = new WorkerPool<Request, { handled: number }>(
    callerUrl,
    "scripted-worker",
    size,
    { gate: gate.buffer },
    maxQueuedJobs === undefined ? {} : { maxQueuedJobs },
  );
  pools.push(pool);
  const open = () => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  return { pool, open };
}

/** Not stalled: settles within a generous bound, or the test fails with `what`. */
function settles<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} stalled`)), 10_000).unref()),
  ]);
}

describe("WorkerPool", () => {
  it("answers requests on its workers", async () => {
    const { pool } = makePool(1);
    expect(await pool.run({})).toEqual({ handled: 1 });
    expect(await pool.run({})).toEqual({ handled: 2 });
  });

  it("a queued request that is aborted leaves the queue at once (was: aborts were ignored once queued)", async () => {
    // Broke: run() looked at the signal only before queueing, so an aborted request waited and then ran.
    const { pool, open } = makePool(1);
    const held = pool.run({ hold: true });
    const controller = new AbortController();
    const queued = pool.run({}, controller.signal);
    const reason = new Error("the client left");
    controller.abort(reason);
    await expect(settles(queued, "the aborted request")).rejects.toBe(reason);
    expect(pool.pending).toBe(1);
    open();
    expect(await held).toEqual({ handled: 1 });
    // The aborted request never reached the worker.
    expect(await pool.run({})).toEqual({ handled: 2 });
  });

  it("a running request that is aborted rejects at once; the worker finishes it and serves the next", async () => {
    const { pool, open } = makePool(1);
    const controller = new AbortController();
    const running = pool.run({ hold: true }, controller.signal);
    const next = pool.run({});
    controller.abort(new Error("barge-in"));
    await expect(settles(running, "the aborted running request")).rejects.toThrow("barge-in");
    open();
    expect(await next).toEqual({ handled: 2 });
  });

  it("a worker that crashes fails its request and is replaced, never reused", async () => {
    const { pool } = makePool(1);
    // Each answer counts the requests its thread has taken: 1 means a fresh worker.
    expect(await pool.run({})).toEqual({ handled: 1 });
    await expect(pool.run({ crash: true })).rejects.toThrow();
    expect(await pool.run({})).toEqual({ handled: 1 });
    await expect(pool.run({ throw: true })).rejects.toThrow("scripted failure");
    expect(await pool.run({})).toEqual({ handled: 1 });
    expect(await pool.run({})).toEqual({ handled: 2 });
  });

  it("refuses a request beyond the queue bound with service_unavailable", async () => {
    const { pool, open } = makePool(1, 1);
    const held = pool.run({ hold: true });
    const queued = pool.run({});
    const refused = await settles(pool.run({}), "the request beyond the bound").catch((e: unknown) => e);
    expect(isAppError(refused) && refused.code === "service_unavailable").toBe(true);
    open();
    await Promise.all([held, queued]);
  });
});
