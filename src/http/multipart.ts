import type { IncomingMessage } from "node:http";
import { once } from "node:events";
import type { Readable } from "node:stream";
import { Busboy } from "@fastify/busboy";
import { AppError } from "../lib/app-error.js";
import { type BodyLimits, limitBody, requestChunks } from "./body-stream.js";

export interface MultipartOptions {
  limits: BodyLimits;
  /** Most parts (fields and files together); 413 past it. */
  maxParts: number;
  /**
   * Takes a file part as a stream instead of collecting it as a field. The stream's errors are handled
   * here; the callback consumes it (or resumes it to skip it).
   */
  onFile?: (name: string, stream: Readable, mimeType: string) => boolean;
  /** Stops reading (the rest of the body is left unread). */
  signal?: AbortSignal;
}

const malformed = (cause?: unknown) =>
  new AppError("unprocessable", "Malformed multipart body", cause === undefined ? {} : { cause });

/**
 * Reads a `multipart/form-data` body within `limits`: fields (and file parts not taken by `onFile`) are
 * collected as text by name. Every failure rejects with the API's status: 422 for a malformed body
 * (no boundary, a part cut short), 413 past the size or part limits, 408 for a stalled or too slow body.
 */
export async function readMultipart(
  raw: IncomingMessage,
  options: MultipartOptions,
): Promise<Map<string, string[]>> {
  const fields = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const values = fields.get(name);
    if (values === undefined) fields.set(name, [value]);
    else values.push(value);
  };
  let busboy: ReturnType<typeof Busboy>;
  try {
    busboy = Busboy({
      headers: raw.headers as { "content-type": string },
      limits: {
        fieldSize: options.limits.maxBytes,
        fileSize: options.limits.maxBytes,
        parts: options.maxParts,
        fields: options.maxParts,
        files: options.maxParts,
        headerPairs: 16,
      },
    });
  } catch (error) {
    throw malformed(error);
  }
  let failure: AppError | undefined;
  let wakeOnFailure: (() => void) | undefined;
  const fail = (error: AppError) => {
    failure ??= error;
    wakeOnFailure?.();
  };
  const tooLarge = (what: string) =>
    fail(new AppError("payload_too_large", `The multipart body has too many ${what}`));
  busboy.on("field", (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
    if (valueTruncated) fail(new AppError("payload_too_large", `The field ${name} is too large`));
    else add(name, value);
  });
  // Each file part settles when it has ended (true) or was cut short (false).
  const fileParts: Promise<boolean>[] = [];
  busboy.on(
    "file",
    (name: string, stream: Readable, _filename: string, _encoding: string, mimeType: string) => {
      stream.on("error", (error: unknown) => fail(malformed(error)));
      fileParts.push(
        new Promise<boolean>((resolve) => {
          stream.once("end", () => resolve(true));
          stream.once("error", () => resolve(false));
          stream.once("close", () => resolve(stream.readableEnded));
        }),
      );
      stream.on("limit", () => fail(new AppError("payload_too_large", `The part ${name} is too large`)));
      if (options.onFile?.(name, stream, mimeType) === true) return;
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => add(name, Buffer.concat(chunks).toString("utf8")));
    },
  );
  busboy.on("partsLimit", () => tooLarge("parts"));
  busboy.on("filesLimit", () => tooLarge("files"));
  busboy.on("fieldsLimit", () => tooLarge("fields"));
  busboy.on("error", (error: unknown) => fail(malformed(error)));
  const finished = once(busboy, "finish").then(
    () => "finished" as const,
    () => "failed" as const,
  );
  const failed = new Promise<"failed">((resolve) => (wakeOnFailure = () => resolve("failed")));
  if (failure !== undefined) wakeOnFailure?.();

  const body = limitBody(requestChunks(raw), options.limits)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([body.next(), failed]);
      if (next === "failed" || options.signal?.aborted === true) break;
      if (next.done === true) {
        busboy.end();
        break;
      }
      if (!busboy.write(next.value)) {
        await Promise.race([once(busboy, "drain").catch(() => undefined), failed]);
      }
    }
    options.signal?.throwIfAborted();
    if ((await Promise.race([finished, failed])) === "failed" || failure !== undefined) {
      throw failure ?? malformed();
    }
    const partsEnded = await Promise.race([Promise.all(fileParts), failed]);
    if (partsEnded === "failed" || partsEnded.includes(false) || failure !== undefined) {
      throw failure ?? malformed();
    }
    return fields;
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    fail(error instanceof AppError ? error : malformed(error));
    throw failure ?? error;
  } finally {
    void body.return?.(undefined).catch(() => undefined);
  }
}
