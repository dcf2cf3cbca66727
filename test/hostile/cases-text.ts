import { multipartBody, textForm, wordsOfLength } from "./bodies.js";
import { type BuildContext, type CaseKind, type Expectation, request, routes, scripts } from "./cases.js";

const B = "hostileTextBoundary";
const FORM = `multipart/form-data; boundary=${B}`;
const MAX_TEXT_BODY_BYTES = 1_048_576;

/** A text interact by a leased user with the given content type and body. */
function textInteract(
  kind: Omit<CaseKind, "build" | "lane" | "pool">,
  make: (ctx: BuildContext) => { contentType?: string; body: Buffer; query?: string; chunked?: boolean },
  options: { pool?: "users" | "insight" } = {},
): CaseKind {
  return {
    ...kind,
    lane: "fast",
    pool: options.pool ?? "users",
    build(ctx) {
      const { contentType, body, query, chunked } = make(ctx);
      return request(routes.interactText(ctx.world, ctx.actor.conversationId, query ?? ""), {
        token: ctx.actor.token,
        ...(contentType === undefined ? {} : { contentType }),
        body,
        ...(chunked === true ? { chunked } : {}),
      });
    },
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** The spec requires `initial_message_type` in an interact body (422 without it). */
const USER_MESSAGE = { initial_message_type: "user-message" } as const;
/** An interact body with a message of `bytes` letters, made without a big string. */
const jsonMessageOf = (bytes: number) =>
  Buffer.concat([
    Buffer.from('{"initial_message_type":"user-message","recorded_message":"'),
    Buffer.alloc(bytes, 0x61),
    Buffer.from('"}'),
  ]);
const message = (ctx: BuildContext) => `I have a sore throat ${ctx.rng.letters(6)}`;

/** Patterns that backtrack exponentially (or nearly) on the agent's action types. */
const CATASTROPHIC_PATTERNS = [
  "^(.|.){0,25}X",
  "^(.|.)*X",
  "(a+)+$",
  "^(\\w+\\s?)*$",
  "(.*a){20}",
  "((a|a)+)+b",
  "^(([a-z])+.)+[A-Z]([a-z])+$",
  "(?<=(a+)+)b",
  "(?<!(x+x+)+y)z",
  "^(?:a|a?)+$",
  "(.*){1,32000}[bc]",
  "^(.*?,){11}P",
  "(x+x+)+y",
  "^([a-z-]+)*\\d$",
  "(?=(.*)*X)",
];

export function textCases(): CaseKind[] {
  const wrongType = (
    kind: string,
    contentType: string | undefined,
    body: (ctx: BuildContext) => Buffer,
  ): CaseKind =>
    textInteract(
      { category: "wrong-content-type", kind: `text/${kind}`, count: 6, expect: { statuses: [422] } },
      (ctx) => ({
        ...(contentType === undefined ? {} : { contentType }),
        body: body(ctx),
      }),
    );
  const kinds: CaseKind[] = [
    wrongType("text-plain", "text/plain", (ctx) => Buffer.from(message(ctx))),
    wrongType("application-xml", "application/xml", () =>
      Buffer.from("<recorded_message>hi</recorded_message>"),
    ),
    wrongType("image-png", "image/png", (ctx) => ctx.rng.bytes(500)),
    wrongType("no-content-type", undefined, (ctx) => Buffer.from(message(ctx))),
    wrongType("audio-wav", "audio/wav", (ctx) => ctx.rng.bytes(2_000)),
    wrongType("form-urlencoded", "application/x-www-form-urlencoded", () =>
      Buffer.from("recorded_message=hello"),
    ),
    wrongType("multipart-mixed", `multipart/mixed; boundary=${B}`, (ctx) => textForm(B, message(ctx))),
    wrongType("octet-stream", "application/octet-stream", (ctx) => ctx.rng.bytes(300)),

    // Empty and invalid JSON.
    ...(
      [
        ["empty-json", () => Buffer.alloc(0)],
        [
          "invalid-json",
          (ctx: BuildContext) => json({ recorded_message: message(ctx) }).subarray(0, ctx.rng.int(1, 20)),
        ],
        ["json-garbage", (ctx: BuildContext) => ctx.rng.bytes(ctx.rng.int(1, 2_000))],
        ["json-array", () => json(["recorded_message", "hello"])],
        ["json-string", () => json("hello")],
        [
          "json-deeply-nested",
          (ctx: BuildContext) => Buffer.from(`${"[".repeat(ctx.rng.int(10_000, 200_000))}`),
        ],
      ] as const
    ).map(([kind, body]) =>
      textInteract({ category: "malformed-json", kind, count: 7, expect: { statuses: [422] } }, (ctx) => ({
        contentType: "application/json",
        body: body(ctx),
      })),
    ),
    // Valid JSON, but the message is a deeply nested array: refused as invalid or as an empty message.
    textInteract(
      {
        category: "malformed-json",
        kind: "json-deeply-nested-message",
        count: 5,
        expect: { statuses: [400, 422] },
      },
      (ctx) => {
        const depth = ctx.rng.int(10_000, 200_000);
        return {
          contentType: "application/json",
          body: Buffer.from(`{"recorded_message":${"[".repeat(depth)}${"]".repeat(depth)}}`),
        };
      },
    ),

    // Bodies over PARLEY_MAX_TEXT_BODY_BYTES (1 MiB).
    textInteract(
      {
        category: "huge-bodies",
        kind: "text/json-over-limit",
        count: 6,
        followUp: true,
        expect: { statuses: [413] },
      },
      (ctx) => ({
        contentType: "application/json",
        body: jsonMessageOf(ctx.rng.int(MAX_TEXT_BODY_BYTES + 1, 3 * MAX_TEXT_BODY_BYTES)),
      }),
    ),
    textInteract(
      {
        category: "huge-bodies",
        kind: "text/chunked-json-over-limit",
        count: 4,
        expect: { statuses: [413] },
      },
      (ctx) => ({
        contentType: "application/json",
        chunked: true,
        body: jsonMessageOf(ctx.rng.int(MAX_TEXT_BODY_BYTES + 1, 2 * MAX_TEXT_BODY_BYTES)),
      }),
    ),
    textInteract(
      {
        category: "huge-bodies",
        kind: "text/multipart-field-over-limit",
        count: 6,
        followUp: true,
        expect: { statuses: [413] },
      },
      (ctx) => ({
        contentType: FORM,
        body: textForm(B, "c".repeat(ctx.rng.int(MAX_TEXT_BODY_BYTES + 1, 3 * MAX_TEXT_BODY_BYTES))),
      }),
    ),
    textInteract(
      {
        category: "huge-bodies",
        kind: "text/multipart-file-over-limit",
        count: 4,
        expect: { statuses: [413] },
      },
      (ctx) => ({
        contentType: FORM,
        body: multipartBody(B, [
          {
            name: "recorded_message",
            value: Buffer.alloc(ctx.rng.int(MAX_TEXT_BODY_BYTES + 1, 2 * MAX_TEXT_BODY_BYTES), 0x64),
            filename: "message.txt",
            contentType: "text/plain",
          },
        ]),
      }),
    ),
    textInteract(
      {
        category: "huge-bodies",
        kind: "text/many-small-fields-over-limit",
        count: 3,
        expect: { statuses: [413] },
      },
      (ctx) => ({
        contentType: FORM,
        body: textForm(
          B,
          message(ctx),
          Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, value: "e".repeat(20_000) })),
        ),
      }),
    ),
    ...(["application/json", FORM] as const).map((contentType): CaseKind => ({
      category: "huge-bodies",
      kind: `text/declares-50MB-${contentType.split(";")[0]}`,
      count: 3,
      lane: "slow",
      pool: "users",
      followUp: true,
      // Refused from the declared length, or once the bytes that came stall.
      expect: { statuses: [413, 408] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType,
          contentLength: 50_000_000,
          body: scripts.stallAfter(
            Buffer.from(`{"initial_message_type":"user-message","recorded_message":"${"f".repeat(60_000)}`),
          ),
        }),
    })),

    // Very long tokens and messages within the size cap: a normal answer, and nobody else waits.
    textInteract(
      {
        category: "long-tokens",
        kind: "word-of-32000-letters/multipart",
        count: 5,
        expect: { statuses: [200] },
      },
      (ctx) => ({ contentType: FORM, body: textForm(B, ctx.rng.letters(32_000)) }),
    ),
    textInteract(
      { category: "long-tokens", kind: "word-of-32000-letters/json", count: 5, expect: { statuses: [200] } },
      (ctx) => ({
        contentType: "application/json",
        body: json({ ...USER_MESSAGE, recorded_message: ctx.rng.letters(32_000) }),
      }),
    ),
    textInteract(
      { category: "long-tokens", kind: "word-of-300000-letters", count: 2, expect: { statuses: [200] } },
      (ctx) => ({
        contentType: "application/json",
        body: json({ ...USER_MESSAGE, recorded_message: "z".repeat(ctx.rng.int(200_000, 300_000)) }),
      }),
    ),
    textInteract(
      { category: "long-tokens", kind: "message-of-900KB-words/json", count: 3, expect: { statuses: [200] } },
      (ctx) => ({
        contentType: "application/json",
        body: json({ ...USER_MESSAGE, recorded_message: wordsOfLength(900_000, (w) => ctx.rng.pick(w)) }),
      }),
    ),
    textInteract(
      {
        category: "long-tokens",
        kind: "message-of-900KB-words/multipart",
        count: 2,
        expect: { statuses: [200] },
      },
      (ctx) => ({
        contentType: FORM,
        body: textForm(
          B,
          wordsOfLength(900_000, (w) => ctx.rng.pick(w)),
        ),
      }),
    ),
    textInteract(
      { category: "long-tokens", kind: "message-of-200KB-unicode", count: 3, expect: { statuses: [200] } },
      (ctx) => ({
        contentType: "application/json",
        body: json({
          ...USER_MESSAGE,
          recorded_message: Array.from({ length: 40_000 }, () =>
            ctx.rng.pick(["é", "😀", "a\u0301\u0302\u0303", "ß", "中", "\u200b"]),
          ).join(""),
        }),
      }),
    ),
    textInteract(
      { category: "long-tokens", kind: "long-response-format-value", count: 4, expect: { statuses: [422] } },
      (ctx) => ({
        contentType: FORM,
        body: textForm(B, message(ctx)),
        query: `&response_format=${"v".repeat(8_000)}`,
      }),
    ),
  ];

  // Catastrophic regexes as the action type filter, on streams that carry agent actions.
  const regexExpect: Expectation = { statuses: [200, 422] };
  kinds.push(
    ...CATASTROPHIC_PATTERNS.map((pattern) =>
      textInteract(
        { category: "catastrophic-regex", kind: `pattern ${pattern}`, count: 3, expect: regexExpect },
        (ctx) => ({
          contentType: FORM,
          body: textForm(B, message(ctx)),
          query: `&current_agent_action_type=${encodeURIComponent(pattern)}`,
        }),
        { pool: "insight" },
      ),
    ),
    textInteract(
      { category: "catastrophic-regex", kind: "12KB-alternation", count: 4, expect: regexExpect },
      (ctx) => ({
        contentType: FORM,
        body: textForm(B, message(ctx)),
        query: `&current_agent_action_type=${encodeURIComponent(`^(${Array.from({ length: 1_500 }, () => ctx.rng.letters(3)).join("|")})*$`)}`,
      }),
      { pool: "insight" },
    ),
    textInteract(
      // Longer than Node's header limit as a URL: 414/431 (or a closed connection) before any route.
      {
        category: "catastrophic-regex",
        kind: "100KB-pattern",
        count: 3,
        expect: { statuses: [200, 414, 422, 431], closeOk: true },
      },
      (ctx) => ({
        contentType: FORM,
        body: textForm(B, message(ctx)),
        query: `&current_agent_action_type=${encodeURIComponent("(a|a)*".repeat(17_000))}`,
      }),
      { pool: "insight" },
    ),
  );
  return kinds;
}
