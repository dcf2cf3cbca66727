import type { ServerProcess } from "./server-process.js";

/** Memory of the server process; "heap" is the V8 heap in use plus external (Buffer) memory, after a full GC. */
export interface MemoryReport {
  baselineRssBytes: number;
  baselineHeapBytes: number;
  /** Highest RSS sampled during the flood (every 200 ms) and the kernel's high-water mark (VmHWM). */
  peakRssBytes: number;
  highWaterRssBytes: number;
  /** After the first half of the flood (settled, after a full GC). */
  halfwayRssBytes: number;
  halfwayHeapBytes: number;
  /** After the whole run (settled, after a full GC). */
  afterRssBytes: number;
  afterHeapBytes: number;
}

/** Samples the server's RSS from /proc while the flood runs. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peakRssBytes = 0;

  constructor(private readonly server: ServerProcess) {}

  start(): void {
    this.timer = setInterval(() => {
      const rss = this.server.rss();
      if (rss !== undefined) this.peakRssBytes = Math.max(this.peakRssBytes, rss.rssBytes);
    }, 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
