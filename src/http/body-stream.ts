import type { IncomingMessage } from "node:http";
import type { Config } from "../config/config.js";
import { AppError } from "../lib/app-error.js";

/** What a request body may cost. Every limit is answered with its status: 413 for size, 408 for time. */
export interface BodyLimits {
  /** Largest body in bytes (413 past it). */
  maxBytes: number;
  /** Longest wait for the next bytes, in milliseconds (408). */
  stallMs: number;
  /** Longest time for the whole body, in milliseconds from the first read (408). */
  totalMs: number;
  /** Slowest average rate in bytes per second, judged once `stallMs` has passed (408); 0 turns it off. */
  minBytesPerSecond: number;
}

/** The limits of text bodies (JSON and multipart fields) and of voice uploads, from the configuration. */
export function bodyLimitsFor(config: Config, kind: "text" | "audio"): BodyLimits {
  return {
    maxBytes: kind === "text" ? config.maxTextBodyBytes : config.maxAudioBytes,
    stallMs: config.bodyStallTimeoutMs,
    totalMs: config.bodyTimeoutMs,
    minBytesPerSecond: config.bodyMinBytesPerSecond,
  };
}

/**
 * The body of a request as an async iterable that, unlike the stream's own iterator, leaves the socket
 * open when the reader stops early, so that the error status can still be sent. At most one chunk is
 * held: the stream is paused until the reader asks for the next one.
 */
export function requestChunks(raw: IncomingMessage): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      let ended = raw.readableEnded;
      let failure: Error | undefined;
      let waiter: (() => void) | undefined;
      const held: Uint8Array[] = [];
      const wake = () => {
        const resolve = waiter;
        waiter = undefined;
        resolve?.();
      };
      const onData = (chunk: Buffer) => {
        held.push(chunk);
        raw.pause();
        wake();
      };
      const onEnd = () => {
        ended = true;
        wake();
      };
      const onAborted = () => {
        failure ??= new AppError("bad_request", "The client closed the connection during the upload");
        wake();
      };
      const onError = (error: Error) => {
        failure ??= new AppError("bad_request", "The upload failed", { cause: error });
        wake();
      };
      const detach = () => {
        raw.off("data", onData);
        raw.off("end", onEnd);
        raw.off("aborted", onAborted);
        raw.off("close", onClose);
        raw.off("error", onError);
      };
      const onClose = () => {
        if (!raw.complete) onAborted();
      };
      raw.on("data", onData);
      raw.on("end", onEnd);
      raw.on("aborted", onAborted);
      raw.on("close", onClose);
      raw.on("error", onError);
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          for (;;) {
            const chunk = held.shift();
            if (chunk !== undefined) return { value: chunk, done: false };
            if (failure !== undefined) {
              detach();
              throw failure;
            }
            if (ended) {
              detach();
              return { value: undefined, done: true };
            }
            raw.resume();
            await new Promise<void>((resolve) => (waiter = resolve));
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          detach();
          held.length = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * Passes a body through while it keeps within `limits`: 413 past `maxBytes`; 408 when nothing arrives for
 * `stallMs`, when the whole body takes longer than `totalMs`, or when, after `stallMs`, the average rate
 * is below `minBytesPerSecond` (a client trickling one byte per stall interval holds nothing for long).
 */
export async function* limitBody(
  source: AsyncIterable<Uint8Array>,
  limits: BodyLimits,
  now: () => number = () => performance.now(),
): AsyncIterable<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const startedAt = now();
  let totalBytes = 0;
  try {
    for (;;) {
      const elapsedMs = now() - startedAt;
      const waitMs = Math.max(0, Math.min(limits.stallMs, limits.totalMs - elapsedMs));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), waitMs);
      });
      const next = await Promise.race([iterator.next(), timedOut]).finally(() => clearTimeout(timer));
      if (next === "timeout") {
        throw now() - startedAt >= limits.totalMs
          ? new AppError("request_timeout", `The request body was not complete within ${limits.totalMs} ms`)
          : new AppError("request_timeout", `The request body stalled for ${limits.stallMs} ms`);
      }
      if (next.done === true) return;
      totalBytes += next.value.length;
      if (totalBytes > limits.maxBytes) {
        throw new AppError("payload_too_large", `The request body is larger than ${limits.maxBytes} bytes`);
      }
      const afterMs = now() - startedAt;
      if (
        limits.minBytesPerSecond > 0 &&
        afterMs > limits.stallMs &&
        (totalBytes * 1000) / afterMs < limits.minBytesPerSecond
      ) {
        throw new AppError(
          "request_timeout",
          `The request body arrives slower than ${limits.minBytesPerSecond} bytes per second`,
        );
      }
      yield next.value;
    }
  } finally {
    // A pending next() of the source settles later; its result is not needed.
    void iterator.return?.().catch(() => undefined);
  }
}

/**
 * Reads a JSON body within `limits`. Invalid JSON (an empty body included) and keys that could reach an
 * object's prototype (`__proto__`, `constructor.prototype`) are a 422.
 */
export async function parseJsonBody(raw: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of limitBody(requestChunks(raw), limits)) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__" || (key === "constructor" && isObjectWith(value, "prototype"))) {
        throw new Error("prototype key");
      }
      return value;
    }) as unknown;
  } catch {
    throw new AppError("unprocessable", "The request body is not valid JSON", {
      detail: [{ loc: ["body"], msg: "Invalid JSON", type: "json_invalid" }],
    });
  }
}

function isObjectWith(value: unknown, key: string): boolean {
  return typeof value === "object" && value !== null && Object.hasOwn(value, key);
}
