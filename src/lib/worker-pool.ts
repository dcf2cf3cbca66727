import { Worker } from "node:worker_threads";
import { workerEntry } from "./worker-url.js";

interface Job<Req, Res> {
  request: Req;
  resolve: (response: Res) => void;
  reject: (error: Error) => void;
}

interface PooledWorker<Req, Res> {
  worker: Worker;
  job: Job<Req, Res> | undefined;
}

/**
 * A fixed set of worker threads answering one request at a time each (`{ ok, value | error }` replies);
 * requests beyond the free workers wait in order. Workers start on first use and restart after a crash.
 */
export class WorkerPool<Req, Res> {
  private readonly workers: PooledWorker<Req, Res>[] = [];
  private readonly queue: Job<Req, Res>[] = [];

  constructor(
    private readonly callerUrl: string,
    private readonly workerBaseName: string,
    private readonly size: number,
    private readonly workerData: unknown = undefined,
  ) {}

  run(request: Req, signal?: AbortSignal): Promise<Res> {
    signal?.throwIfAborted();
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private spawn(): PooledWorker<Req, Res> {
    const entry = workerEntry(this.callerUrl, this.workerBaseName);
    const pooled: PooledWorker<Req, Res> = {
      worker: new Worker(entry.filename, { ...entry.options, workerData: this.workerData }),
      job: undefined,
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
    pooled.worker.on("error", (error) => {
      pooled.job?.reject(error);
      pooled.job = undefined;
    });
    pooled.worker.on("exit", () => {
      pooled.job?.reject(new Error("the worker stopped"));
      this.workers.splice(this.workers.indexOf(pooled), 1);
      this.dispatch();
    });
    this.workers.push(pooled);
    return pooled;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const free =
        this.workers.find((w) => w.job === undefined) ??
        (this.workers.length < this.size ? this.spawn() : undefined);
      if (free === undefined) return;
      const job = this.queue.shift()!;
      free.job = job;
      free.worker.postMessage(job.request);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
