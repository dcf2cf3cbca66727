import net from "node:net";

/** What a body script can do with the connection while the request is under way. */
export interface BodyIo {
  /** Writes bytes (waits for `drain`); a no-op once the connection is closed. */
  write(bytes: Uint8Array | string): Promise<void>;
  /** Waits, but returns early when the response starts or the connection closes. */
  sleep(ms: number): Promise<void>;
  /** True once the response head has arrived or the connection has closed. */
  readonly answered: boolean;
}

/**
 * Sends a request body and says how the request goes on: `end` (the body is complete; wait for the
 * answer), `stall` (send nothing more but keep the connection open), `close-write` (half-close: send FIN
 * but go on reading), `hangup` (close the connection now).
 */
export type BodyScript = (io: BodyIo) => Promise<"end" | "stall" | "close-write" | "hangup">;

export interface RawRequest {
  /** Request line and headers, ending with the empty line; sent as is. */
  head: Buffer;
  body?: Buffer | BodyScript;
  /** Closes the connection as soon as the first bytes of the response body arrive (an abandoned reply). */
  hangupOnFirstBodyBytes?: boolean;
  /** The whole exchange is given up after this long (the connection is closed). */
  deadlineMs: number;
}

/**
 * How the exchange ended: `complete` (a whole response), `closed` (the server closed the connection
 * before a whole response), `reset` (a connection error before a whole response), `refused` (nothing
 * listens), `timeout` (no whole response by the deadline), `hung-up` (the client closed it on purpose).
 */
export type ExchangeEnd = "complete" | "closed" | "reset" | "refused" | "timeout" | "hung-up";

export interface RawResponse {
  status: number | undefined;
  headers: Record<string, string>;
  /** The response body (chunked framing removed), cut at `MAX_KEPT_BODY_BYTES`. */
  body: string;
  end: ExchangeEnd;
  durationMs: number;
  /** A body script that threw (a bug of the suite, reported as such). */
  scriptError?: string;
}

const MAX_KEPT_BODY_BYTES = 4 * 1024 * 1024;

/** A request head: `Host` and `Connection: close` are added unless `raw` headers are given as they are. */
export function requestHead(
  method: string,
  target: string,
  headers: [string, string][],
  options: { host?: string } = {},
): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${options.host ?? "127.0.0.1"}`, "Connection: close"];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/** One piece of a chunked body. */
export function chunkFrame(bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}

export const LAST_CHUNK = "0\r\n\r\n";

/** Decodes a chunked body as it arrives; `done` once the last chunk is in. */
class ChunkedDecoder {
  private pending = Buffer.alloc(0);
  private remaining = -1;
  done = false;

  push(bytes: Buffer, out: (data: Buffer) => void): void {
    this.pending = Buffer.concat([this.pending, bytes]);
    while (!this.done) {
      if (this.remaining < 0) {
        const lineEnd = this.pending.indexOf("\r\n");
        if (lineEnd < 0) return;
        const size = Number.parseInt(this.pending.subarray(0, lineEnd).toString("latin1").split(";")[0]!, 16);
        this.pending = this.pending.subarray(lineEnd + 2);
        if (size === 0 || Number.isNaN(size)) {
          this.done = true;
          return;
        }
        this.remaining = size;
      }
      if (this.pending.length < this.remaining + 2) {
        // Hand over what there is of the chunk so far (but keep its CRLF for later).
        const take = Math.min(this.pending.length, this.remaining);
        if (take > 0) {
          out(this.pending.subarray(0, take));
          this.pending = this.pending.subarray(take);
          this.remaining -= take;
        }
        if (this.remaining > 0 || this.pending.length < 2) return;
      }
      out(this.pending.subarray(0, this.remaining));
      this.pending = this.pending.subarray(this.remaining + 2);
      this.remaining = -1;
    }
  }
}

/**
 * One HTTP/1.1 exchange on a connection of its own, written byte for byte: the head as given, the body as
 * its script sends it. Never rejects: every way the exchange can end is an `ExchangeEnd`.
 */
export function exchange(port: number, request: RawRequest): Promise<RawResponse> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.setNoDelay(true);
    let received = Buffer.alloc(0);
    let status: number | undefined;
    let headers: Record<string, string> = {};
    let bodyFraming: "chunked" | "length" | "close" = "close";
    let bodyRemaining = 0;
    const chunked = new ChunkedDecoder();
    const bodyParts: Buffer[] = [];
    let bodyBytes = 0;
    let sawBodyBytes = false;
    let closed = false;
    let settled = false;
    let scriptError: string | undefined;
    const wakers = new Set<() => void>();
    const wakeAll = () => {
      for (const wake of wakers) wake();
      wakers.clear();
    };

    const finish = (end: ExchangeEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      closed = true;
      wakeAll();
      socket.destroy();
      resolve({
        status,
        headers,
        body: Buffer.concat(bodyParts).toString("utf8"),
        end,
        durationMs: performance.now() - startedAt,
        ...(scriptError === undefined ? {} : { scriptError }),
      });
    };
    const deadline = setTimeout(() => finish("timeout"), request.deadlineMs);

    const keepBody = (data: Buffer) => {
      if (data.length > 0) sawBodyBytes = true;
      if (bodyBytes < MAX_KEPT_BODY_BYTES) bodyParts.push(Buffer.from(data));
      bodyBytes += data.length;
    };
    const onBodyBytes = (data: Buffer) => {
      if (bodyFraming === "chunked") {
        chunked.push(data, keepBody);
        if (chunked.done) finish("complete");
      } else if (bodyFraming === "length") {
        const take = data.subarray(0, bodyRemaining);
        keepBody(take);
        bodyRemaining -= take.length;
        if (bodyRemaining <= 0) finish("complete");
      } else {
        keepBody(data);
      }
      if (sawBodyBytes && request.hangupOnFirstBodyBytes === true) finish("hung-up");
    };

    socket.on("data", (data: Buffer) => {
      if (settled) return;
      if (status !== undefined) {
        onBodyBytes(data);
        return;
      }
      received = Buffer.concat([received, data]);
      for (;;) {
        const headEnd = received.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const lines = received.subarray(0, headEnd).toString("latin1").split("\r\n");
        const rest = received.subarray(headEnd + 4);
        const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? NaN);
        if (code >= 100 && code < 200) {
          received = rest;
          continue;
        }
        status = Number.isNaN(code) ? 0 : code;
        headers = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        wakeAll();
        if (headers["transfer-encoding"]?.toLowerCase().includes("chunked") === true) bodyFraming = "chunked";
        else if (headers["content-length"] !== undefined) {
          bodyFraming = "length";
          bodyRemaining = Number(headers["content-length"]);
          if (!(bodyRemaining > 0)) {
            finish("complete");
            return;
          }
        }
        if (rest.length > 0) onBodyBytes(rest);
        return;
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      finish(error.code === "ECONNREFUSED" ? "refused" : "reset");
    });
    socket.on("close", () => {
      if (status !== undefined && bodyFraming === "close") finish("complete");
      else finish("closed");
    });

    const io: BodyIo = {
      get answered() {
        return closed || status !== undefined;
      },
      write(bytes) {
        if (closed || socket.destroyed) return Promise.resolve();
        return new Promise<void>((done) => {
          if (socket.write(bytes)) {
            done();
            return;
          }
          const wake = () => {
            socket.off("drain", wake);
            wakers.delete(wake);
            done();
          };
          socket.on("drain", wake);
          wakers.add(wake);
        });
      },
      sleep(ms) {
        if (io.answered) return Promise.resolve();
        return new Promise<void>((done) => {
          const wake = () => {
            clearTimeout(timer);
            wakers.delete(wake);
            done();
          };
          const timer = setTimeout(wake, ms);
          wakers.add(wake);
        });
      },
    };

    socket.once("connect", () => {
      void (async () => {
        await io.write(request.head);
        const body = request.body;
        if (body === undefined) return;
        if (Buffer.isBuffer(body)) {
          await io.write(body);
          return;
        }
        const next = await body(io);
        if (next === "hangup") finish("hung-up");
        else if (next === "close-write" && !socket.destroyed) socket.end();
      })().catch((error: unknown) => {
        scriptError = error instanceof Error ? error.message : String(error);
        finish("reset");
      });
    });
  });
}

/** The NDJSON events of a response body (lines that do not parse are skipped). */
export function ndjsonEvents(body: string): { type: string; [field: string]: unknown }[] {
  const events: { type: string; [field: string]: unknown }[] = [];
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const event = JSON.parse(line) as { type?: unknown };
      if (typeof event.type === "string") events.push(event as { type: string });
    } catch {
      // A cut line (the body was abandoned or capped).
    }
  }
  return events;
}
