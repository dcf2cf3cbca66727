import type { Worker } from "node:worker_threads";
import { AppError } from "../../../lib/app-error.js";
import type { FromWorker, ToWorker } from "./worker-protocol.js";

/** Sizes of a {@link SessionPool}. */
export interface SessionPoolLimits {
  /** Worker threads at most. */
  poolSize: number;
  /** Sessions one worker hosts at once. */
  sessionsPerWorker: number;
  /** Sessions waiting for a place at most; one more is refused with `service_unavailable`. */
  maxWaitingSessions: number;
}

/** What a session hears from the pool: its worker's messages, or that the worker is gone. */
export interface SessionHandlers {
  onMessage(message: Exclude<FromWorker, { type: "ready" }>): void;
  /** The worker died (or the pool closed): the session is over; `release` is still to be called. */
  onFailure(error: Error): void;
}

/** A session's place on a worker. */
export interface SessionPlace {
  /** Sends to the session's worker (nothing once the worker is gone). */
  post(message: ToWorker): void;
  /** Gives the place back; idempotent. */
  release(): void;
}

interface HostWorker {
  worker: Worker;
  ready: Promise<void>;
  alive: boolean;
  sessions: Map<number, SessionHandlers>;
}

interface Waiter {
  session: number;
  handlers: SessionHandlers;
  admit(host: HostWorker): void;
  refuse(error: Error): void;
}

/**
 * Places recognition sessions on worker threads: each new session goes to the worker with the fewest
 * sessions (a worker not yet started counts as none, so up to `poolSize` workers are started), up to
 * `sessionsPerWorker` each. When every worker is full, sessions wait in FIFO order, at most
 * `maxWaitingSessions` of them; an aborted waiter leaves the queue at once. A worker that exits or fails
 * is dropped and never reused: its sessions fail, and later sessions start a new one.
 */
export class SessionPool {
  private readonly hosts: HostWorker[] = [];
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly limits: SessionPoolLimits,
    private readonly startWorker: () => Worker,
  ) {}

  /** Sessions placed on workers now. */
  get activeSessions(): number {
    return this.hosts.reduce((sum, host) => sum + host.sessions.size, 0);
  }

  /** Sessions waiting for a place now. */
  get waitingSessions(): number {
    return this.waiting.length;
  }

  /** Live worker threads now. */
  get workers(): number {
    return this.hosts.length;
  }

  /**
   * Takes a place for `session` and resolves once its worker is ready. Rejects with the signal's reason
   * when aborted first, with `service_unavailable` when the wait queue is full or the pool is closed, and
   * with the worker's failure when it dies while starting.
   */
  async acquire(session: number, handlers: SessionHandlers, signal: AbortSignal): Promise<SessionPlace> {
    signal.throwIfAborted();
    if (this.closed) throw new AppError("service_unavailable", "Speech recognition is shutting down");
    const free = this.pick();
    let host: HostWorker;
    if (free !== undefined) {
      free.sessions.set(session, handlers);
      host = free;
    } else {
      host = await this.wait(session, handlers, signal);
    }
    const place: SessionPlace = {
      post: (message) => {
        if (host.alive) host.worker.postMessage(message);
      },
      release: () => {
        if (host.sessions.get(session) !== handlers) return;
        host.sessions.delete(session);
        this.dispatch();
      },
    };
    try {
      await untilReady(host.ready, signal);
    } catch (error) {
      place.release();
      throw error;
    }
    return place;
  }

  /** Starts every worker (up to `poolSize`) and waits until each has loaded its first decoder. */
  async warmUp(): Promise<void> {
    while (this.hosts.length < this.limits.poolSize && !this.closed) this.spawn();
    await Promise.all(this.hosts.map((host) => host.ready));
  }

  /** Stops every worker; their sessions and every waiter fail with `service_unavailable`. */
  async close(): Promise<void> {
    this.closed = true;
    const closing = new AppError("service_unavailable", "Speech recognition is shutting down");
    for (const waiter of this.waiting.splice(0)) waiter.refuse(closing);
    const hosts = this.hosts.splice(0);
    for (const host of hosts) this.drop(host, closing);
    await Promise.all(hosts.map((host) => host.worker.terminate()));
  }

  /** The worker a new session goes to now, starting one when that gives it the fewest sessions. */
  private pick(): HostWorker | undefined {
    let best: HostWorker | undefined;
    for (const host of this.hosts) {
      if (
        host.sessions.size < this.limits.sessionsPerWorker &&
        host.sessions.size < (best?.sessions.size ?? Infinity)
      )
        best = host;
    }
    if ((best === undefined || best.sessions.size > 0) && this.hosts.length < this.limits.poolSize)
      return this.spawn();
    return best;
  }

  private wait(session: number, handlers: SessionHandlers, signal: AbortSignal): Promise<HostWorker> {
    if (this.waiting.length >= this.limits.maxWaitingSessions) {
      return Promise.reject(
        new AppError(
          "service_unavailable",
          "Speech recognition is busy: too many recognitions are waiting; try again shortly",
        ),
      );
    }
    return new Promise<HostWorker>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal.reason as Error);
      };
      const waiter: Waiter = {
        session,
        handlers,
        admit: (host) => {
          signal.removeEventListener("abort", onAbort);
          resolve(host);
        },
        refuse: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Gives free places to waiters, in order. */
  private dispatch(): void {
    while (this.waiting.length > 0 && !this.closed) {
      let host: HostWorker | undefined;
      try {
        host = this.pick();
      } catch (error) {
        // A worker that cannot even be started fails the session that needed it.
        this.waiting.shift()!.refuse(error as Error);
        continue;
      }
      if (host === undefined) return;
      const waiter = this.waiting.shift()!;
      host.sessions.set(waiter.session, waiter.handlers);
      waiter.admit(host);
    }
  }

  private spawn(): HostWorker {
    const worker = this.startWorker();
    const host: HostWorker = { worker, ready: Promise.resolve(), alive: true, sessions: new Map() };
    host.ready = new Promise<void>((resolve, reject) => {
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") resolve();
        else host.sessions.get(message.session)?.onMessage(message);
      });
      const die = (error: Error) => {
        reject(error);
        if (!host.alive) return;
        const index = this.hosts.indexOf(host);
        if (index >= 0) this.hosts.splice(index, 1);
        this.drop(host, error);
        this.dispatch();
      };
      worker.on("error", (error) => die(new Error("the speech recognizer failed", { cause: error })));
      worker.on("exit", (code) => die(new Error(`the speech recognizer stopped (exit code ${code})`)));
    });
    // Callers await `ready`; a worker that dies before anyone does must not be an unhandled rejection.
    host.ready.catch(() => undefined);
    this.hosts.push(host);
    return host;
  }

  /** Marks a worker dead and fails its sessions. */
  private drop(host: HostWorker, error: Error): void {
    host.alive = false;
    const sessions = [...host.sessions.values()];
    host.sessions.clear();
    for (const handlers of sessions) handlers.onFailure(error);
  }
}

function untilReady(ready: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    ready.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: Error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
