import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { NdjsonWriter } from "./ndjson.js";

/** A response whose socket is always full: every write waits for `drain`. */
class FullResponse extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  writeHead() {
    return this;
  }
  flushHeaders() {}
  write() {
    setImmediate(() => this.emit("drain"));
    return false;
  }
  end() {
    this.writableEnded = true;
  }
}

describe("NdjsonWriter", () => {
  it("leaves no listener behind after waiting for drain (each wait left a close listener)", async () => {
    const response = new FullResponse();
    const writer = new NdjsonWriter(response as unknown as ServerResponse, 200, new AbortController().signal);
    for (let i = 0; i < 50; i += 1)
      await writer.write({ type: "error", http_error_code: 500, error_description: "x" });
    expect(response.listenerCount("close")).toBe(0);
    expect(response.listenerCount("drain")).toBe(0);
  });

  it("stops waiting for drain when the client goes away", async () => {
    const response = new FullResponse();
    response.write = () => false;
    const client = new AbortController();
    const writer = new NdjsonWriter(response as unknown as ServerResponse, 200, client.signal);
    const pending = writer.write({ type: "error", http_error_code: 500, error_description: "x" });
    client.abort();
    await pending;
    expect(response.listenerCount("drain")).toBe(0);
  });
});
