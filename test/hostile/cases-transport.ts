import { humSamples, silenceWav, textForm, voiceForm, wavHeader, wordsOfLength } from "./bodies.js";
import {
  type BuildContext,
  type CaseKind,
  type Expectation,
  type Lane,
  request,
  type RequestOptions,
  routes,
  scripts,
  SLOW_DEADLINE_MS,
} from "./cases.js";
import { chunkFrame, type RawRequest } from "./raw-http.js";

const B = "hostileTransportBoundary";
const FORM = `multipart/form-data; boundary=${B}`;
/** What Node answers to a request it cannot parse: a 4xx/5xx before any route, or a closed connection. */
const REFUSED_BY_PARSER: Expectation = { statuses: [400, 413, 414, 431, 501, 505], closeOk: true };

/** A request head written by hand (no Host or Connection added). */
function rawHead(lines: string[], deadlineMs = 10_000): RawRequest {
  return { head: Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), deadlineMs };
}

export function transportCases(): CaseKind[] {
  const list = (ctx: BuildContext) => `/v1/${ctx.world.orgId}/conversation/`;
  const token = (ctx: BuildContext) => ctx.world.users.actors[0]!.token;
  const headerCase = (
    kind: string,
    count: number,
    expect: Expectation,
    build: (ctx: BuildContext) => RawRequest,
  ): CaseKind => ({
    category: "absurd-headers",
    kind,
    count,
    lane: "fast",
    expect,
    build,
  });
  const withBody = (ctx: BuildContext, headerLines: string[], body: string) => ({
    ...rawHead([
      `POST ${routes.interactText(ctx.world, ctx.world.users.actors[0]!.conversationId)} HTTP/1.1`,
      "Host: 127.0.0.1",
      "Connection: close",
      `Authorization: Bearer ${token(ctx)}`,
      "Content-Type: application/json",
      ...headerLines,
    ]),
    body: Buffer.from(body),
  });
  const kinds: CaseKind[] = [
    headerCase("100KB-header-value", 8, REFUSED_BY_PARSER, (ctx) =>
      request(list(ctx), { token: token(ctx), headers: [["X-Junk", ctx.rng.letters(100_000)]] }),
    ),
    headerCase("500-small-headers", 8, { statuses: [200] }, (ctx) =>
      request(list(ctx), {
        token: token(ctx),
        headers: Array.from({ length: 500 }, (_, i): [string, string] => [`X-H${i}`, ctx.rng.letters(3)]),
      }),
    ),
    headerCase("2000-headers", 6, REFUSED_BY_PARSER, (ctx) =>
      request(list(ctx), {
        token: token(ctx),
        headers: Array.from({ length: 2_000 }, (_, i): [string, string] => [
          `X-Header-${i}`,
          ctx.rng.letters(12),
        ]),
      }),
    ),
    headerCase("100KB-url", 6, REFUSED_BY_PARSER, (ctx) =>
      request(`${list(ctx)}?limit=5&junk=${ctx.rng.letters(100_000)}`, { token: token(ctx) }),
    ),
    headerCase("invalid-content-length", 12, REFUSED_BY_PARSER, (ctx) =>
      withBody(
        ctx,
        [
          `Content-Length: ${ctx.rng.pick(["abc", "-1", "1.5", "0x10", "99999999999999999999999", "1 2", "+5", ""])}`,
        ],
        '{"recorded_message":"hi"}',
      ),
    ),
    headerCase("conflicting-content-lengths", 6, REFUSED_BY_PARSER, (ctx) =>
      withBody(ctx, ["Content-Length: 25", "Content-Length: 3"], '{"recorded_message":"hi"}'),
    ),
    headerCase("content-length-and-chunked", 6, REFUSED_BY_PARSER, (ctx) =>
      withBody(
        ctx,
        ["Content-Length: 25", "Transfer-Encoding: chunked"],
        `19\r\n{"recorded_message":"hi"}\r\n0\r\n\r\n`,
      ),
    ),
    headerCase("unknown-transfer-encoding", 6, REFUSED_BY_PARSER, (ctx) =>
      withBody(
        ctx,
        [`Transfer-Encoding: ${ctx.rng.pick(["gzip", "chunked, gzip", "identity", "chunked;q=1", "x"])}`],
        '{"a":1}',
      ),
    ),
    headerCase("bad-chunk-size", 6, REFUSED_BY_PARSER, (ctx) =>
      withBody(
        ctx,
        ["Transfer-Encoding: chunked"],
        `${ctx.rng.pick(["zz", "-1", "fffffffffffffffffff", ""])}\r\nabc\r\n0\r\n\r\n`,
      ),
    ),
    headerCase("nul-in-header-value", 4, REFUSED_BY_PARSER, (ctx) =>
      rawHead([
        `GET ${list(ctx)} HTTP/1.1`,
        "Host: 127.0.0.1",
        `Authorization: Bearer ${token(ctx)}`,
        "X-A: a\0b",
      ]),
    ),
    headerCase("space-in-header-name", 4, REFUSED_BY_PARSER, (ctx) =>
      rawHead([
        `GET ${list(ctx)} HTTP/1.1`,
        "Host: 127.0.0.1",
        `Authorization: Bearer ${token(ctx)}`,
        "X Bad: b",
      ]),
    ),
    headerCase("no-host-header", 4, REFUSED_BY_PARSER, (ctx) =>
      rawHead([`GET ${list(ctx)} HTTP/1.1`, `Authorization: Bearer ${token(ctx)}`, "Connection: close"]),
    ),
    // Versions the parser tolerates are answered like HTTP/1.1.
    headerCase(
      "unknown-http-version",
      4,
      { ...REFUSED_BY_PARSER, statuses: [...REFUSED_BY_PARSER.statuses, 200] },
      (ctx) =>
        rawHead([
          `GET ${list(ctx)} HTTP/${ctx.rng.pick(["2.0", "9.9", "1.x", "0.9"])}`,
          "Host: 127.0.0.1",
          `Authorization: Bearer ${token(ctx)}`,
          "Connection: close",
        ]),
    ),
    headerCase(
      "unknown-method",
      4,
      { ...REFUSED_BY_PARSER, statuses: [...REFUSED_BY_PARSER.statuses, 404, 405] },
      (ctx) =>
        rawHead([
          `${ctx.rng.pick(["FOOBAR", "GETT", "G3T"])} ${list(ctx)} HTTP/1.1`,
          "Host: 127.0.0.1",
          "Connection: close",
        ]),
    ),
    headerCase("garbage-request-line", 4, REFUSED_BY_PARSER, (ctx) =>
      rawHead([ctx.rng.bytes(200).toString("latin1").replace(/\r|\n/g, " ")]),
    ),
    {
      category: "wrong-content-type",
      kind: "text/8KB-content-type",
      count: 4,
      lane: "fast",
      pool: "users",
      expect: { statuses: [422] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: `application/${ctx.rng.letters(8_000)}`,
          body: Buffer.from("hello"),
        }),
    },
    // The body is shorter than its Content-Length and the client half-closes: a 4xx or a closed connection.
    {
      category: "absurd-headers",
      kind: "content-length-larger-than-body-then-fin",
      count: 8,
      lane: "fast",
      pool: "users",
      followUp: true,
      expect: { statuses: [400, 408, 422], closeOk: true },
      build: (ctx) => {
        const body = textForm(B, "I have a headache");
        return request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: FORM,
          contentLength: body.length + ctx.rng.int(1, 5_000),
          body: scripts.closeWriteAfter(body),
        });
      },
    },
  ];

  // Slow bodies: stalled, trickling below PARLEY_BODY_MIN_BYTES_PER_SECOND, or past PARLEY_BODY_TIMEOUT_MS.
  const slow = (
    kind: string,
    count: number,
    lane: Lane,
    build: (ctx: BuildContext) => RawRequest,
  ): CaseKind => ({
    category: "slow-bodies",
    kind,
    count,
    lane,
    pool: "users",
    followUp: true,
    expect: { statuses: [408] },
    build,
  });
  const text = (
    ctx: BuildContext,
    contentType: string,
    body: RequestOptions["body"],
    contentLength?: number | "omit",
    chunked?: boolean,
  ) =>
    request(routes.interactText(ctx.world, ctx.actor.conversationId), {
      token: ctx.actor.token,
      contentType,
      ...(body === undefined ? {} : { body }),
      ...(contentLength === undefined ? {} : { contentLength }),
      ...(chunked === true ? { chunked } : {}),
      deadlineMs: SLOW_DEADLINE_MS,
    });
  const voice = (
    ctx: BuildContext,
    contentType: string,
    body: RequestOptions["body"],
    contentLength?: number,
  ) =>
    request(routes.interactVoice(ctx.world, ctx.actor.conversationId), {
      token: ctx.actor.token,
      contentType,
      ...(body === undefined ? {} : { body }),
      ...(contentLength === undefined ? {} : { contentLength }),
      deadlineMs: SLOW_DEADLINE_MS,
    });
  const cut = (ctx: BuildContext, body: Buffer) =>
    body.subarray(0, Math.floor(body.length * (0.2 + 0.6 * ctx.rng.next())));
  const form = (ctx: BuildContext) => textForm(B, `my knee hurts ${ctx.rng.letters(10)}`);
  const json = (ctx: BuildContext) =>
    Buffer.from(
      JSON.stringify({
        initial_message_type: "user-message",
        recorded_message: `my back hurts ${ctx.rng.letters(10)}`,
      }),
    );
  const longForm = (ctx: BuildContext) =>
    textForm(
      B,
      wordsOfLength(15_000, (w) => ctx.rng.pick(w)),
    );
  kinds.push(
    slow("text/stall-multipart", 6, "slow", (ctx) => {
      const body = form(ctx);
      return text(ctx, FORM, scripts.stallAfter(cut(ctx, body)), body.length);
    }),
    slow("text/stall-json", 5, "slow", (ctx) => {
      const body = json(ctx);
      return text(ctx, "application/json", scripts.stallAfter(cut(ctx, body)), body.length);
    }),
    slow("text/stall-before-body", 4, "slow", (ctx) =>
      text(ctx, FORM, scripts.stallAfter(Buffer.alloc(0)), 500),
    ),
    slow("text/stall-chunked", 4, "slow", (ctx) =>
      text(ctx, FORM, scripts.stallAfter(chunkFrame(cut(ctx, form(ctx)))), "omit", true),
    ),
    slow("text/trickle-multipart", 5, "slow", (ctx) => {
      const body = form(ctx);
      return text(ctx, FORM, scripts.trickle(body, ctx.rng.int(1, 8), 100), body.length);
    }),
    slow("text/trickle-json", 4, "slow", (ctx) => {
      const body = json(ctx);
      return text(ctx, "application/json", scripts.trickle(body, ctx.rng.int(1, 8), 100), body.length);
    }),
    // About 15 kB at 2.5 kB/s: above the minimum rate, but longer than the 3 s body deadline.
    slow("text/steady-but-past-deadline", 4, "slow", (ctx) => {
      const body = longForm(ctx);
      return text(ctx, FORM, scripts.trickle(body, 500, 200), body.length);
    }),
    slow("voice/stall-raw", 4, "voice", (ctx) => {
      const body = silenceWav(2_000);
      return voice(ctx, "audio/wav", scripts.stallAfter(cut(ctx, body)), body.length);
    }),
    slow("voice/stall-multipart", 3, "voice", (ctx) => {
      const body = voiceForm(B, silenceWav(2_000));
      return voice(ctx, FORM, scripts.stallAfter(cut(ctx, body)), body.length);
    }),
    slow("voice/trickle", 3, "voice", (ctx) => {
      const body = silenceWav(2_000);
      return voice(ctx, "audio/wav", scripts.trickle(body, ctx.rng.int(10, 40), 100), body.length);
    }),
    // 16 kHz audio sent at 2.5 kB/s: the 3 s body deadline comes first.
    slow("voice/steady-but-past-deadline", 3, "voice", (ctx) => {
      const data = humSamples(1_000, 16_000);
      const body = Buffer.concat([wavHeader({ sampleRateHz: 16_000, dataBytes: data.length }), data]);
      return voice(ctx, "audio/wav", scripts.trickle(body, 500, 200), body.length);
    }),
  );

  // The client hangs up mid-request: no answer is possible; nothing may be kept, nothing left locked.
  const hangup = (
    kind: string,
    count: number,
    lane: Lane,
    build: (ctx: BuildContext) => RawRequest,
    followUp = true,
  ): CaseKind => ({
    category: "hang-ups",
    kind,
    count,
    lane,
    pool: "users",
    followUp,
    expect: { statuses: [], hangup: true },
    build,
  });
  kinds.push(
    hangup("text/mid-json-body", 6, "fast", (ctx) => {
      const body = json(ctx);
      return text(ctx, "application/json", scripts.hangupAfter(cut(ctx, body)), body.length);
    }),
    hangup("text/after-headers", 5, "fast", (ctx) =>
      text(ctx, FORM, scripts.hangupAfter(Buffer.alloc(0)), 400),
    ),
    hangup("voice/mid-upload", 5, "voice", (ctx) => {
      const body = ctx.speech.wav;
      return voice(ctx, "audio/wav", scripts.hangupAfter(cut(ctx, body), 200), body.length);
    }),
    hangup("voice/mid-chunked-upload", 3, "voice", (ctx) =>
      request(routes.interactVoice(ctx.world, ctx.actor.conversationId), {
        token: ctx.actor.token,
        contentType: "audio/wav",
        chunked: true,
        body: scripts.hangupAfter(chunkFrame(cut(ctx, ctx.speech.wav)), 200),
        deadlineMs: SLOW_DEADLINE_MS,
      }),
    ),
    // A spoken reply abandoned at its first bytes (the reply is committed only once it is all rendered).
    // No follow-up here: its turn would race a turn that failed to stop, whose commit would then lose
    // on the interaction sequence and hide that it was never stopped.
    hangup(
      "voice-reply/on-first-bytes",
      8,
      "voice",
      (ctx) =>
        request(
          `/v1/${ctx.world.orgId}/conversation/${ctx.actor.conversationId}/interact?request_format=text&response_format=voice`,
          {
            token: ctx.actor.token,
            contentType: FORM,
            body: form(ctx),
            hangupOnFirstBodyBytes: true,
          },
        ),
      false,
    ),
  );
  return kinds;
}
