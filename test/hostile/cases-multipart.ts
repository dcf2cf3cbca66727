import { multipartBody, type Part, silenceWav, textForm, voiceForm } from "./bodies.js";
import { type BuildContext, type CaseKind, request, routes, scripts } from "./cases.js";

const B = "hostileBoundary7MA4YWxk";
const form = (boundary = B) => `multipart/form-data; boundary=${boundary}`;
const message = (ctx: BuildContext) => `I sprained my ankle ${ctx.rng.letters(8)}`;

/** A text interact or a voice note with the given multipart content type and body (expected: 422). */
function malformed(
  mode: "text" | "voice",
  kind: string,
  count: number,
  make: (ctx: BuildContext) => { contentType: string; body: Buffer },
): CaseKind {
  return {
    category: "malformed-multipart",
    kind: `${mode}/${kind}`,
    count,
    lane: mode === "text" ? "fast" : "voice",
    pool: "users",
    expect: { statuses: [422] },
    build(ctx) {
      const { contentType, body } = make(ctx);
      const route = mode === "text" ? routes.interactText : routes.interactVoice;
      return request(route(ctx.world, ctx.actor.conversationId), {
        token: ctx.actor.token,
        contentType,
        body,
      });
    },
  };
}

/** Bodies that make the multipart parser fail (so text and voice both must say 422). */
const broken: [string, (ctx: BuildContext, good: Buffer) => { contentType: string; body: Buffer }][] = [
  ["no-boundary", (_ctx, good) => ({ contentType: "multipart/form-data", body: good })],
  ["empty-boundary", (_ctx, good) => ({ contentType: "multipart/form-data; boundary=", body: good })],
  ["boundary-mismatch", (ctx, good) => ({ contentType: form(`other${ctx.rng.letters(6)}`), body: good })],
  [
    "lf-line-ends",
    (_ctx, good) => ({
      contentType: form(),
      body: Buffer.from(good.toString("latin1").replace(/\r\n/g, "\n"), "latin1"),
    }),
  ],
  ["random-bytes", (ctx) => ({ contentType: form(), body: ctx.rng.bytes(ctx.rng.int(1, 20_000)) })],
  ["empty-body", () => ({ contentType: form(), body: Buffer.alloc(0) })],
  [
    "part-headers-never-end",
    (ctx) => ({
      contentType: form(),
      body: Buffer.from(
        `--${B}\r\nContent-Disposition: form-data; name="recorded_message"\r\n${"X-Pad: y\r\n".repeat(ctx.rng.int(1, 200))}`,
      ),
    }),
  ],
  [
    "no-closing-boundary",
    (_ctx, good) => ({ contentType: form(), body: good.subarray(0, good.length - `--${B}--\r\n`.length) }),
  ],
];

/** Bodies the parser reads to the end but whose recorded_message part is gone (text: 422 as a missing field). */
const mangled: [string, (ctx: BuildContext) => Buffer][] = [
  [
    "garbage-part-headers",
    (ctx) =>
      Buffer.concat([
        Buffer.from(`--${B}\r\n`),
        ctx.rng.bytes(ctx.rng.int(1, 300)).map((b) => (b === 0x0d || b === 0x0a || b === 0x3a ? 0x20 : b)),
        Buffer.from(`\r\n\r\nhello\r\n--${B}--\r\n`),
      ]),
  ],
  [
    "garbage-between-parts",
    (ctx) =>
      Buffer.concat([
        Buffer.from(
          `--${B}\r\nContent-Disposition: form-data; name="initial_message_type"\r\n\r\nuser-message\r\n--${B}\r\n`,
        ),
        ctx.rng.bytes(ctx.rng.int(1, 2_000)).map((b) => (b === 0x0d || b === 0x3a ? 0x20 : b)),
        Buffer.from(`\r\n\r\nrecorded_message\r\n--${B}--\r\n`),
      ]),
  ],
  ["only-closing-boundary", () => Buffer.from(`--${B}--\r\n`)],
  [
    "part-without-name",
    (ctx) => Buffer.from(`--${B}\r\nContent-Disposition: form-data\r\n\r\n${message(ctx)}\r\n--${B}--\r\n`),
  ],
];

function truncatedAt(ctx: BuildContext, body: Buffer, from: number): Buffer {
  return body.subarray(0, ctx.rng.int(from, body.length - `--${B}--\r\n`.length - 3));
}

export function multipartCases(): CaseKind[] {
  const textGood = (ctx: BuildContext) => textForm(B, message(ctx));
  const voiceGood = (ctx: BuildContext) => voiceForm(B, silenceWav(ctx.rng.int(300, 1500)));
  const kinds: CaseKind[] = [];
  for (const [name, make] of broken) {
    kinds.push(malformed("text", name, 8, (ctx) => make(ctx, textGood(ctx))));
    kinds.push(malformed("voice", name, 3, (ctx) => make(ctx, voiceGood(ctx))));
  }
  for (const [name, make] of mangled) {
    kinds.push(malformed("text", name, 6, (ctx) => ({ contentType: form(), body: make(ctx) })));
  }

  // Truncated: the HTTP body is complete but the multipart body ends inside a part.
  const textPrefix = `--${B}\r\n`.length + 2;
  kinds.push(
    {
      category: "truncated-multipart",
      kind: "text/ends-inside-part",
      count: 22,
      lane: "fast",
      pool: "users",
      followUp: true,
      expect: { statuses: [422] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          body: truncatedAt(ctx, textGood(ctx), textPrefix),
        }),
    },
    {
      category: "truncated-multipart",
      kind: "text/ends-inside-part-chunked",
      count: 10,
      lane: "fast",
      pool: "users",
      followUp: true,
      expect: { statuses: [422] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          chunked: true,
          body: truncatedAt(ctx, textGood(ctx), textPrefix),
        }),
    },
    {
      category: "truncated-multipart",
      kind: "voice/ends-inside-audio-part",
      count: 10,
      lane: "voice",
      pool: "users",
      followUp: true,
      expect: { statuses: [422] },
      build: (ctx) => {
        const body = voiceGood(ctx);
        return request(routes.interactVoice(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          body: truncatedAt(ctx, body, 200),
        });
      },
    },
    // The client hangs up inside a part: nobody to answer, but nothing may be kept or left locked.
    {
      category: "truncated-multipart",
      kind: "text/hangup-inside-part",
      count: 14,
      lane: "fast",
      pool: "users",
      followUp: true,
      expect: { statuses: [], hangup: true },
      build: (ctx) => {
        const body = textGood(ctx);
        return request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          contentLength: body.length,
          body: scripts.hangupAfter(truncatedAt(ctx, body, textPrefix)),
        });
      },
    },
    {
      category: "truncated-multipart",
      kind: "voice/hangup-inside-audio-part",
      count: 8,
      lane: "voice",
      pool: "users",
      followUp: true,
      expect: { statuses: [], hangup: true },
      build: (ctx) => {
        const body = voiceGood(ctx);
        return request(routes.interactVoice(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          contentLength: body.length,
          body: scripts.hangupAfter(truncatedAt(ctx, body, 200)),
        });
      },
    },
    // Half-close inside a part: the declared length never arrives; a 4xx or a closed connection.
    {
      category: "truncated-multipart",
      kind: "text/fin-inside-part",
      count: 8,
      lane: "fast",
      pool: "users",
      followUp: true,
      expect: { statuses: [400, 408, 422], closeOk: true },
      build: (ctx) => {
        const body = textGood(ctx);
        return request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          contentLength: body.length,
          body: scripts.closeWriteAfter(truncatedAt(ctx, body, textPrefix)),
        });
      },
    },
  );

  // Field floods: more parts than PARLEY_MAX_MULTIPART_FIELDS (100).
  const fields = (ctx: BuildContext, count: number, name: () => string): Part[] =>
    Array.from({ length: count }, () => ({ name: name(), value: ctx.rng.letters(ctx.rng.int(0, 12)) }));
  kinds.push(
    {
      category: "field-floods",
      kind: "text/many-fields",
      count: 16,
      lane: "fast",
      pool: "users",
      followUp: true,
      expect: { statuses: [413] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          body: textForm(
            B,
            message(ctx),
            fields(ctx, ctx.rng.int(101, 5_000), () => ctx.rng.letters(6)),
          ),
        }),
    },
    {
      category: "field-floods",
      kind: "text/repeated-event-fields",
      count: 10,
      lane: "fast",
      pool: "users",
      expect: { statuses: [413] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          body: textForm(
            B,
            message(ctx),
            fields(ctx, ctx.rng.int(101, 2_000), () => "external_event_message_content"),
          ),
        }),
    },
    {
      category: "field-floods",
      kind: "text/many-file-parts",
      count: 10,
      lane: "fast",
      pool: "users",
      expect: { statuses: [413] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          body: multipartBody(B, [
            { name: "recorded_message", value: message(ctx) },
            ...Array.from({ length: ctx.rng.int(101, 1_000) }, (_, i) => ({
              name: `file${i}`,
              value: ctx.rng.bytes(ctx.rng.int(0, 64)),
              filename: `f${i}.bin`,
              contentType: "application/octet-stream",
            })),
          ]),
        }),
    },
    {
      category: "field-floods",
      kind: "voice/many-fields-before-audio",
      count: 6,
      lane: "voice",
      pool: "users",
      followUp: true,
      expect: { statuses: [413] },
      build: (ctx) =>
        request(routes.interactVoice(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: form(),
          body: voiceForm(
            B,
            silenceWav(500),
            "audio/wav",
            fields(ctx, ctx.rng.int(101, 2_000), () => ctx.rng.letters(5)),
          ),
        }),
    },
  );
  return kinds;
}
