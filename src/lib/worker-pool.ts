import { Worker } from "node:worker_threads";
import { AppError } from "./app-error.js";
import { workerEntry } from "./worker-url.js";

interface Job<Req, Res> {
  request: Req;
  /** Settles the caller's promise (once; later calls do nothing). */
  resolve: (response: Res) => void;
  reject: (error: Error) => void;
}

interface PooledWorker<Req, Res> {
  worker: Worker;
  job: Job<Req, Res> | undefined;
  alive: boolean;
}

/** Limits of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * Requests waiting for a free worker, at most; one more is refused with the AppError
   * `service_unavailable` (HTTP 503). Default 64.
   */
  maxQueuedJobs?: number;
}

/**
 * A fixed set of worker threads answering one request at a time each (`{ ok, value | error }` replies);
 * requests beyond the free workers wait in order, at most `maxQueuedJobs` of them. Workers start on first
 * use. A worker that fails or exits is dropped at once, never given another request, and replaced when
 * a request needs it; the request it was running fails.
 *
 * Cancellation: a queued request whose signal aborts leaves the queue and rejects with the signal's
 * reason. A running request whose signal aborts rejects at once too; its worker finishes the request
 * (the answer is dropped) and then serves the next one. Requests here are short (one sentence of speech),
 * so finishing one costs less than restarting a worker.
 */
export class WorkerPool<Req, Res> {
  private readonly workers: PooledWorker<Req, Res>[] = [];
  private readonly queue: Job<Req, Res>[] = [];
  private readonly maxQueuedJobs: number;
  private closed = false;

  constructor(
    private readonly callerUrl: string,
    private readonly workerBaseName: string,
    private readonly size: number,
    private readonly workerData: unknown = undefined,
    options: WorkerPoolOptions = {},
  ) {
    this.maxQueuedJobs = options.maxQueuedJobs ?? 64;
  }

  run(request: Req, signal?: AbortSignal): Promise<Res> {
    signal?.throwIfAborted();
    return new Promise<Res>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        const index = this.queue.indexOf(job);
        if (index >= 0) this.queue.splice(index, 1);
        job.reject(signal?.reason as Error);
      };
      const settle = () => {
        settled = true;
        signal?.removeEventListener("abort", onAbort);
      };
      const job: Job<Req, Res> = {
        request,
        resolve: (response) => {
          if (settled) return;
          settle();
          resolve(response);
        },
        reject: (error) => {
          if (settled) return;
          settle();
          reject(error);
        },
      };
      if (this.closed) {
        job.reject(new AppError("service_unavailable", "The server is shutting down"));
        return;
      }
      if (this.queue.length >= this.maxQueuedJobs) {
        job.reject(new AppError("service_unavailable", "The server is busy; try again shortly"));
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Requests running or waiting now. */
  get pending(): number {
    return this.queue.length + this.workers.filter((w) => w.job !== undefined).length;
  }

  private spawn(): PooledWorker<Req, Res> {
    const entry = workerEntry(this.callerUrl, this.workerBaseName);
    const pooled: PooledWorker<Req, Res> = {
      worker: new Worker(entry.filename, { ...entry.options, workerData: this.workerData }),
      job: undefined,
      alive: true,
    };
    pooled.worker.on("message", (reply: { ok: true; value: Res } | { ok: false; error: string }) => {
      const job = pooled.job;
      pooled.job = undefined;
      if (job !== undefined) {
        if (reply.ok) job.resolve(reply.value);
        else job.reject(new Error(reply.error));
      }
      this.dispatch();
    });
    pooled.worker.on("error", (error) => this.drop(pooled, error));
    pooled.worker.on("exit", (code) =>
      this.drop(pooled, new Error(`the worker stopped (exit code ${code})`)),
    );
    this.workers.push(pooled);
    return pooled;
  }

  /** Removes a worker that failed or exited; the request it was running fails. */
  private drop(pooled: PooledWorker<Req, Res>, error: Error): void {
    if (!pooled.alive) return;
    pooled.alive = false;
    const index = this.workers.indexOf(pooled);
    if (index >= 0) this.workers.splice(index, 1);
    pooled.job?.reject(error);
    pooled.job = undefined;
    this.dispatch();
  }

  private freeWorker(): PooledWorker<Req, Res> | undefined {
    return (
      this.workers.find((w) => w.job === undefined) ??
      (this.workers.length < this.size ? this.spawn() : undefined)
    );
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let free: PooledWorker<Req, Res> | undefined;
      try {
        free = this.freeWorker();
      } catch (error) {
        // A worker that cannot be started fails the request that needed it.
        this.queue.shift()!.reject(error as Error);
        continue;
      }
      if (free === undefined) return;
      const job = this.queue.shift()!;
      free.job = job;
      free.worker.postMessage(job.request);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new AppError("service_unavailable", "The server is shutting down");
    for (const job of this.queue.splice(0)) job.reject(closing);
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
