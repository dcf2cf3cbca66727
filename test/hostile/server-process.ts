import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { FromServer, ToServer } from "./server-entry.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const ENTRY = path.join(import.meta.dirname, "server-entry.ts");
/** Longest wait for a (re)started server to listen. */
const START_TIMEOUT_MS = 60_000;
/** Characters of the server's output kept for the report (its last words when it dies). */
const OUTPUT_TAIL_CHARS = 6_000;

/** How one server process ended, when it ended before the suite stopped it. */
export interface ServerDeath {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the suite killed it because it stopped answering (a wedged event loop). */
  killedAsWedged: boolean;
  atMs: number;
  outputTail: string;
}

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

/**
 * The server under test in a child process (`server-entry.ts` through tsx, with `--expose-gc`), on a data
 * dir that outlives restarts. A child process makes "the server stays up" observable (a crash is an
 * exit, not a dead test worker), keeps the server's memory apart from the client's, and gives the server
 * and the hostile client a core each.
 */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private output = "";
  private stopping = false;
  private wedgedPid: number | undefined;
  private readonly startedAt = performance.now();
  readonly deaths: ServerDeath[] = [];
  /** Called when the server dies (not when the suite stops it). */
  onDeath: ((death: ServerDeath) => void) | undefined;
  baseUrl = "";
  port = 0;

  constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again) and waits until it listens. */
  async start(): Promise<void> {
    this.stopping = false;
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", ENTRY], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: "0",
        HOST: "127.0.0.1",
        PARLEY_DATA_DIR: this.dataDir,
        LOG_LEVEL: "error",
        ...this.env,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", (code, signal) => {
      if (this.stopping && child === this.child) return;
      const death: ServerDeath = {
        pid: child.pid ?? 0,
        code,
        signal,
        killedAsWedged: child.pid === this.wedgedPid,
        atMs: Math.round(performance.now() - this.startedAt),
        outputTail: this.output,
      };
      this.deaths.push(death);
      this.onDeath?.(death);
    });
    const ready = await new Promise<Extract<FromServer, { type: "ready" }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the server did not start in time")), START_TIMEOUT_MS);
      const onMessage = (message: FromServer) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        child.off("message", onMessage);
        resolve(message);
      };
      child.on("message", onMessage);
      child.once("exit", () => {
        clearTimeout(timer);
        reject(new Error(`the server exited while starting:\n${this.output}`));
      });
    });
    this.baseUrl = ready.baseUrl;
    this.port = Number(new URL(ready.baseUrl).port);
  }

  /**
   * Starts a new server: after a crash; after killing one that no longer answers (`wedged`, recorded as
   * a death); or, with `fresh`, in place of a healthy one (not a death) to clear its in-memory state.
   */
  async restart(options: { wedged?: boolean; fresh?: boolean }): Promise<void> {
    const child = this.child;
    if (child !== undefined && this.alive) {
      if (options.fresh === true) this.stopping = true;
      else if (options.wedged === true) this.wedgedPid = child.pid;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    await this.start();
  }

  /** Memory of the server process; `gc` runs a full collection first. Undefined when it does not answer. */
  async memory(options: { gc: boolean; timeoutMs?: number }): Promise<MemorySample | undefined> {
    const child = this.child;
    if (child === undefined || !this.alive) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.off("message", onMessage);
        resolve(undefined);
      }, options.timeoutMs ?? 5_000);
      const onMessage = (message: FromServer) => {
        if (message.type !== "memory") return;
        clearTimeout(timer);
        child.off("message", onMessage);
        resolve(message);
      };
      child.on("message", onMessage);
      child.send({ type: "memory", gc: options.gc } satisfies ToServer);
    });
  }

  /** Resident and peak resident memory from `/proc/<pid>/status` (bytes); undefined once it has exited. */
  rss(): { rssBytes: number; peakRssBytes: number } | undefined {
    const pid = this.child?.pid;
    if (pid === undefined || !this.alive) return undefined;
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
      return { rssBytes: kib("VmRSS") * 1024, peakRssBytes: kib("VmHWM") * 1024 };
    } catch {
      return undefined;
    }
  }

  outputTail(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive) return;
    this.stopping = true;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
