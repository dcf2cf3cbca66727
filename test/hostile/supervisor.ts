import { setTimeout as sleep } from "node:timers/promises";
import { exchange } from "./raw-http.js";
import type { ServerDeath, ServerProcess } from "./server-process.js";

/**
 * A death of the server with the kinds of request that may have caused it: those in flight when it
 * stopped answering (or crashed), or finished just before.
 */
export interface AttributedDeath {
  death: ServerDeath;
  suspects: string[];
}

/** Liveness probe: the public organization route, answered without auth or body. */
const PING_DEADLINE_MS = 2_500;
const PING_EVERY_MS = 500;
/** Consecutive unanswered pings that mean the event loop is stuck. */
const PINGS_BEFORE_WEDGED = 2;

/**
 * Keeps the server under test up so that one crash or hang does not hide every later finding: it
 * restarts a server that exited, and kills and restarts one that stops answering (a wedged event loop),
 * within a budget of restarts. Every death is recorded with the request kinds then in flight.
 */
export class Supervisor {
  readonly deaths: AttributedDeath[] = [];
  private restarting: Promise<void> | undefined;
  private restarts = 0;
  private stopped = false;
  private watching: Promise<void> | undefined;
  /** The suspects of a wedge, taken when the server stopped answering (it is killed later). */
  private wedgeSuspects: string[] | undefined;
  /** Set once the budget is spent or a restart failed: requests are no longer sent. */
  down = false;
  startError: string | undefined;

  constructor(
    private readonly server: ServerProcess,
    private readonly orgId: string,
    private readonly restartBudget: number,
    /** Kinds of request in flight at `sinceMs` (performance.now()) or later. */
    private readonly suspectsSince: (sinceMs: number) => string[],
  ) {
    server.onDeath = (death) => {
      const suspects = this.wedgeSuspects ?? this.suspectsSince(performance.now());
      this.wedgeSuspects = undefined;
      this.deaths.push({ death, suspects });
      void this.restart(false);
    };
  }

  /** Waits for a restart under way; true when the server is up to take requests. */
  async up(): Promise<boolean> {
    while (this.restarting !== undefined) await this.restarting;
    return !this.down && this.server.alive;
  }

  /** Pings the server; false when it did not answer in time. */
  async ping(): Promise<boolean> {
    const response = await exchange(this.server.port, {
      head: Buffer.from(
        `GET /v1/${this.orgId}/organization/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      ),
      deadlineMs: PING_DEADLINE_MS,
    });
    return response.status === 200;
  }

  /**
   * Restarts the server (killing it first when `wedged`; `fresh` replaces a healthy one to clear its
   * state), unless the budget is spent.
   */
  restart(wedged: boolean, options: { fresh?: boolean } = {}): Promise<void> {
    if (this.restarting !== undefined) return this.restarting;
    if (this.stopped || this.down) return Promise.resolve();
    if (this.restarts >= this.restartBudget) {
      this.down = true;
      return Promise.resolve();
    }
    this.restarts += 1;
    this.restarting = this.server
      .restart({ wedged, ...options })
      .catch((error: unknown) => {
        this.down = true;
        this.startError = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        this.restarting = undefined;
      });
    return this.restarting;
  }

  /** Watches for a wedged server until `stop()` (pings and restarts never reject). */
  watch(): void {
    this.watching = (async () => {
      let misses = 0;
      let firstMissAtMs = 0;
      while (!this.stopped) {
        await sleep(PING_EVERY_MS);
        if (this.stopped || this.restarting !== undefined || !this.server.alive) {
          misses = 0;
          continue;
        }
        const pingAtMs = performance.now();
        if (await this.ping()) {
          misses = 0;
          continue;
        }
        if (misses === 0) firstMissAtMs = pingAtMs;
        misses += 1;
        if (misses >= PINGS_BEFORE_WEDGED && !this.stopped) {
          misses = 0;
          this.wedgeSuspects = this.suspectsSince(firstMissAtMs);
          await this.restart(true);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watching;
    while (this.restarting !== undefined) await this.restarting;
    this.server.onDeath = undefined;
  }
}
