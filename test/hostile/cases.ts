import type { SpeechFixtures } from "./bodies.js";
import type { Prng } from "./prng.js";
import { type BodyScript, chunkFrame, LAST_CHUNK, type RawRequest, requestHead } from "./raw-http.js";
import type { Actor, World } from "./world.js";

/** The kinds of hostile input the issue names, plus the checks made after them. */
export const CATEGORIES = [
  "malformed-multipart",
  "truncated-multipart",
  "wrong-content-type",
  "malformed-json",
  "random-audio",
  "absurd-headers",
  "endless-audio",
  "huge-bodies",
  "slow-bodies",
  "hang-ups",
  "bad-jwt",
  "foreign-ids",
  "signin-flood",
  "catastrophic-regex",
  "long-tokens",
  "field-floods",
  "prototype-keys",
  "voice-concurrency",
  "conversation-unlocked",
] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * Where a request runs: `fast` (quick rejections), `slow` (bodies that take seconds by design), `voice`
 * (anything that may reach the speech recognizer; two at a time, as many as the server has recognizers).
 */
export type Lane = "fast" | "slow" | "voice";

/** What passes: one of `statuses`; with `closeOk` also a connection closed without an answer. */
export interface Expectation {
  statuses: readonly number[];
  closeOk?: boolean;
  /** The client hangs up on purpose: passing means the server had not answered before it did. */
  hangup?: boolean;
}

export interface BuildContext {
  world: World;
  /** The leased actor (for kinds with a `pool`). */
  actor: Actor;
  rng: Prng;
  speech: SpeechFixtures;
}

/** One kind of hostile request: `count` instances of it go into the flood, each built with its own rng. */
export interface CaseKind {
  category: Category;
  kind: string;
  count: number;
  lane: Lane;
  /** Lease an actor (and its conversation) for the request: `users` or `insight` (administrators). */
  pool?: "users" | "insight";
  /** Afterwards, a normal interact on the same conversation must answer 200 (it was not left locked). */
  followUp?: boolean;
  expect: Expectation;
  build(ctx: BuildContext): RawRequest;
}

/** The deadlines of the exchanges: long enough for the slowest documented answer, then some. */
export const FAST_DEADLINE_MS = 15_000;
export const SLOW_DEADLINE_MS = 8_000;

export interface RequestOptions {
  method?: string;
  token?: string;
  /** A raw Authorization value (wins over `token`). */
  authorization?: string;
  contentType?: string;
  headers?: [string, string][];
  body?: Buffer | BodyScript;
  /** Declared length; by default the length of a Buffer body. `omit` sends no Content-Length. */
  contentLength?: number | "omit";
  /** Sends `Transfer-Encoding: chunked`; a Buffer body is framed here, a script frames its own pieces. */
  chunked?: boolean;
  deadlineMs?: number;
  hangupOnFirstBodyBytes?: boolean;
}

/** A request as a client would send it, with the hostile parts given by `options`. */
export function request(target: string, options: RequestOptions = {}): RawRequest {
  const headers: [string, string][] = [];
  if (options.authorization !== undefined) headers.push(["Authorization", options.authorization]);
  else if (options.token !== undefined) headers.push(["Authorization", `Bearer ${options.token}`]);
  if (options.contentType !== undefined) headers.push(["Content-Type", options.contentType]);
  let body = options.body;
  if (options.chunked === true) {
    headers.push(["Transfer-Encoding", "chunked"]);
    if (Buffer.isBuffer(body)) {
      const frames: Buffer[] = [];
      for (let i = 0; i < body.length; i += 16_384) frames.push(chunkFrame(body.subarray(i, i + 16_384)));
      frames.push(Buffer.from(LAST_CHUNK));
      body = Buffer.concat(frames);
    }
  } else if (options.contentLength !== "omit") {
    const length = options.contentLength ?? (Buffer.isBuffer(body) ? body.length : undefined);
    if (length !== undefined) headers.push(["Content-Length", String(length)]);
  }
  headers.push(...(options.headers ?? []));
  return {
    head: requestHead(options.method ?? (body === undefined ? "GET" : "POST"), target, headers),
    ...(body === undefined ? {} : { body }),
    deadlineMs: options.deadlineMs ?? FAST_DEADLINE_MS,
    ...(options.hangupOnFirstBodyBytes === true ? { hangupOnFirstBodyBytes: true } : {}),
  };
}

/** Routes of the API under attack. */
export const routes = {
  interactText: (world: World, conversationId: string, extraQuery = "") =>
    `/v1/${world.orgId}/conversation/${conversationId}/interact?request_format=text&response_format=text${extraQuery}`,
  interactVoice: (world: World, conversationId: string, extraQuery = "") =>
    `/v1/${world.orgId}/conversation/${conversationId}/interact?request_format=voice&response_format=text${extraQuery}`,
};

/** Body scripts: how a hostile client sends (or fails to send) its body. */
export const scripts = {
  /** Sends `prefix`, then nothing more, with the connection left open. */
  stallAfter:
    (prefix: Buffer): BodyScript =>
    async (io) => {
      await io.write(prefix);
      return "stall";
    },
  /** Sends `prefix`, waits a moment, and closes the connection. */
  hangupAfter:
    (prefix: Buffer, waitMs = 30): BodyScript =>
    async (io) => {
      await io.write(prefix);
      await io.sleep(waitMs);
      return "hangup";
    },
  /** Sends `prefix` and half-closes (FIN): the declared length is never reached. */
  closeWriteAfter:
    (prefix: Buffer): BodyScript =>
    async (io) => {
      await io.write(prefix);
      return "close-write";
    },
  /** Sends `bytes` in pieces of `pieceBytes` every `everyMs`, until done or answered. */
  trickle:
    (bytes: Buffer, pieceBytes: number, everyMs: number): BodyScript =>
    async (io) => {
      for (let offset = 0; offset < bytes.length && !io.answered; offset += pieceBytes) {
        await io.write(bytes.subarray(offset, offset + pieceBytes));
        await io.sleep(everyMs);
      }
      return "end";
    },
  /** Sends `head`, then a new `piece()` every `everyMs` for ever (until answered), chunked or not. */
  endless:
    (head: Buffer, piece: () => Buffer, everyMs: number, chunked: boolean): BodyScript =>
    async (io) => {
      const frame = (bytes: Buffer) => (chunked ? chunkFrame(bytes) : bytes);
      await io.write(frame(head));
      while (!io.answered) {
        await io.write(frame(piece()));
        await io.sleep(everyMs);
      }
      return "end";
    },
};
