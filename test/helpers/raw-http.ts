import http from "node:http";

export interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number;
  body: string;
}

/** One step of a hand-driven request body: bytes to send, or a pause in milliseconds. */
export type BodyStep = Uint8Array | string | { pauseMs: number };

/**
 * Sends a request on a connection of its own, writing the body step by step (pauses included), and
 * resolves with the answer, read to its end. `end: false` leaves the body unfinished; `hangUpAfterBody`
 * destroys the socket right after the last step (the answer is then status 0).
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: BodyStep[];
    end?: boolean;
    hangUpAfterBody?: boolean;
    /** Destroys the connection when this settles (a client going away mid-answer). */
    hangUpWhen?: Promise<unknown>;
  },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: RawAnswer) => {
      if (!settled) {
        settled = true;
        resolve(answer);
      }
    };
    const request = http.request(
      url,
      { method: options.method ?? "POST", headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          settle({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", () => settle({ status: response.statusCode ?? 0, body: "" }));
      },
    );
    // The server may answer and close before the whole body was sent.
    request.on("error", () => settle({ status: 0, body: "" }));
    request.on("close", () => settle({ status: 0, body: "" }));
    void options.hangUpWhen?.finally(() => request.destroy());
    void (async () => {
      for (const step of options.body ?? []) {
        if (settled || request.destroyed) return;
        if (typeof step === "object" && "pauseMs" in step) {
          await new Promise((r) => setTimeout(r, step.pauseMs));
        } else {
          request.write(step);
        }
      }
      if (options.hangUpAfterBody === true) {
        request.destroy();
        return;
      }
      if (options.end !== false) request.end();
    })();
  });
}

/** A multipart/form-data body by hand (so that it can be cut short or malformed on purpose). */
export function multipartBody(
  boundary: string,
  parts: { name: string; value: string | Uint8Array; filename?: string; contentType?: string }[],
  options: { closing?: boolean } = {},
): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      `Content-Disposition: form-data; name="${part.name}"` +
      (part.filename === undefined ? "" : `; filename="${part.filename}"`);
    const type = part.contentType === undefined ? "" : `\r\nContent-Type: ${part.contentType}`;
    pieces.push(Buffer.from(`--${boundary}\r\n${disposition}${type}\r\n\r\n`));
    pieces.push(Buffer.from(part.value));
    pieces.push(Buffer.from("\r\n"));
  }
  if (options.closing !== false) pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}
