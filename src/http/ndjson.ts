import type { ServerResponse } from "node:http";
import { once } from "node:events";
import type { WireEvent } from "../protocol/events.js";

/**
 * Writes an NDJSON stream on a raw response: one JSON object per line, each written as it exists,
 * waiting for `drain` when the socket is full. `closed` is the request's client-gone signal: a write
 * waiting for `drain` returns when it aborts.
 */
export class NdjsonWriter {
  constructor(
    private readonly response: ServerResponse,
    statusCode: number,
    readonly closed: AbortSignal,
  ) {
    response.writeHead(statusCode, {
      "content-type": "application/x-ndjson",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    response.flushHeaders();
  }

  async write(event: WireEvent): Promise<void> {
    if (this.response.destroyed || this.response.writableEnded || this.closed.aborted) return;
    if (!this.response.write(`${JSON.stringify(event)}\n`)) {
      // `once` with a signal removes its listener when the signal aborts: no listener is left behind.
      await once(this.response, "drain", { signal: this.closed }).catch(() => undefined);
    }
  }

  end(): void {
    if (!this.response.writableEnded) this.response.end();
  }
}
