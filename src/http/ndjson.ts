import type { ServerResponse } from "node:http";
import { once } from "node:events";
import type { WireEvent } from "../protocol/events.js";

/**
 * Writes an NDJSON stream on a raw response: one JSON object per line, each written as it exists,
 * waiting for `drain` when the socket is full. `closed` aborts when the client goes away early.
 */
export class NdjsonWriter {
  private readonly controller = new AbortController();
  private finished = false;

  constructor(
    private readonly response: ServerResponse,
    statusCode: number,
  ) {
    response.writeHead(statusCode, {
      "content-type": "application/x-ndjson",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    response.flushHeaders();
    response.on("close", () => {
      if (!this.finished)
        this.controller.abort(new DOMException("The client closed the connection", "AbortError"));
    });
  }

  /** Aborted when the client disconnects before the stream ends. */
  get closed(): AbortSignal {
    return this.controller.signal;
  }

  async write(event: WireEvent): Promise<void> {
    if (this.response.destroyed || this.response.writableEnded) return;
    if (!this.response.write(`${JSON.stringify(event)}\n`)) {
      await Promise.race([once(this.response, "drain"), once(this.response, "close")]);
    }
  }

  end(): void {
    this.finished = true;
    if (!this.response.writableEnded) this.response.end();
  }
}
