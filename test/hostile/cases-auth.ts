import { silenceWav, textForm } from "./bodies.js";
import { type BuildContext, type CaseKind, request, routes } from "./cases.js";
import type { Prng } from "./prng.js";
import { OTHER_ORG, type World } from "./world.js";

const B = "hostileAuthBoundary";
const FORM = `multipart/form-data; boundary=${B}`;

/** Tokens signed with the server's secret (or another), prepared once before the traffic. */
export interface Forgeries {
  expired: string;
  otherSecret: string;
  wrongIssuer: string;
  wrongAudience: string;
  unknownUser: string;
  notYetValid: string;
  otherOrgAdmin: string;
}

export async function forgeTokens(world: World): Promise<Forgeries> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return {
    expired: await world.forgeToken({
      issuedAtSeconds: nowSeconds - 7_200,
      expiresAtSeconds: nowSeconds - 3_600,
    }),
    otherSecret: await world.forgeToken({ secret: "not-the-server-secret-0123456789abcdef" }),
    wrongIssuer: await world.forgeToken({ issuer: "someone-else" }),
    wrongAudience: await world.forgeToken({ audience: "another-api" }),
    unknownUser: await world.forgeToken({ userId: "0123456789abcdef01234567" }),
    notYetValid: await world.forgeToken({ notBeforeSeconds: nowSeconds + 3_600 }),
    otherOrgAdmin: await world.forgeToken({ organizationId: OTHER_ORG, userId: world.otherOrgAdminUserId }),
  };
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString("base64url");

function parts(token: string): [string, string, string] {
  const [header, payload, signature] = token.split(".");
  return [header!, payload!, signature!];
}

/** The token with one character of its signature changed. */
function flipSignature(token: string, rng: Prng): string {
  const [header, payload, signature] = parts(token);
  const at = rng.int(0, signature.length - 2);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const replacement = alphabet.replace(signature[at]!, "")[rng.int(0, 62)]!;
  return `${header}.${payload}.${signature.slice(0, at)}${replacement}${signature.slice(at + 1)}`;
}

/** The token with its payload rewritten (and the old signature kept). */
function rewritePayload(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = parts(token);
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  change(claims);
  return `${header}.${b64(JSON.stringify(claims))}.${signature}`;
}

function withHeader(token: string, header: Record<string, unknown>, signature?: string): string {
  const [, payload, original] = parts(token);
  return `${b64(JSON.stringify(header))}.${payload}.${signature ?? original}`;
}

interface AuthInputs {
  world: World;
  forged: Forgeries;
  rng: Prng;
  /** A valid token of a user. */
  valid: string;
}

const basic = (user: string, password: string) => `Basic ${b64(`${user}:${password}`)}`;

/** Authorization values that must all be refused with 401 (undefined: no header at all). */
const BAD_AUTHORIZATIONS: Record<string, (a: AuthInputs) => string | undefined> = {
  missing: () => undefined,
  "bearer-without-token": (a) => a.rng.pick(["Bearer", "Bearer ", "bearer    "]),
  "bearer-random": (a) => `Bearer ${a.rng.letters(a.rng.int(1, 300))}`,
  "bearer-10KB": (a) => `Bearer ${a.rng.letters(10_000)}`,
  "bearer-three-dots": (a) => `Bearer ${a.rng.pick(["a.b.c", "..", "e30.e30.", "e30.e30.e30"])}`,
  "other-scheme": (a) => `${a.rng.pick(["Token", "Digest", "JWT", "Bearer:"])} ${a.valid}`,
  "tampered-signature": (a) => `Bearer ${flipSignature(a.valid, a.rng)}`,
  "tampered-user-id": (a) => `Bearer ${rewritePayload(a.valid, (c) => (c.sub = a.world.victim.userId))}`,
  "tampered-org": (a) => `Bearer ${rewritePayload(a.valid, (c) => (c.org = OTHER_ORG))}`,
  "tampered-expiry": (a) => `Bearer ${rewritePayload(a.valid, (c) => (c.exp = 4_102_444_800))}`,
  "alg-none": (a) => `Bearer ${withHeader(a.valid, { alg: "none", typ: "JWT" }, "")}`,
  "alg-none-with-signature": (a) => `Bearer ${withHeader(a.valid, { alg: "none" })}`,
  "alg-hs512-claimed": (a) => `Bearer ${withHeader(a.valid, { alg: "HS512" })}`,
  "alg-rs256-claimed": (a) => `Bearer ${withHeader(a.valid, { alg: "RS256" })}`,
  expired: (a) => `Bearer ${a.forged.expired}`,
  "other-secret": (a) => `Bearer ${a.forged.otherSecret}`,
  "wrong-issuer": (a) => `Bearer ${a.forged.wrongIssuer}`,
  "wrong-audience": (a) => `Bearer ${a.forged.wrongAudience}`,
  "unknown-user": (a) => `Bearer ${a.forged.unknownUser}`,
  "not-yet-valid": (a) => `Bearer ${a.forged.notYetValid}`,
  "two-tokens-glued": (a) => `Bearer ${a.valid}${a.valid}`,
  "basic-wrong-user": (a) => basic(`${a.world.orgId}_${a.world.victim.userId}`, a.valid),
  "basic-no-org-prefix": (a) => basic(a.world.victim.userId, a.valid),
  "basic-empty-user": (a) => basic("", a.valid),
  "basic-no-colon": (a) => `Basic ${b64(a.valid)}`,
  "basic-garbage": (a) => `Basic ${a.rng.letters(a.rng.int(1, 80))}!!`,
};

/** The endpoints the auth cases are thrown at (all authenticate before they read anything). */
function authTarget(ctx: BuildContext, authorization: string | undefined) {
  const { world } = ctx;
  const actor = world.users.actors[0]!;
  const org = `/v1/${world.orgId}`;
  const auth = authorization === undefined ? {} : { authorization };
  return ctx.rng.pick([
    () => request(`${org}/conversation/`, auth),
    () => request(`${org}/conversation/${actor.conversationId}/messages/`, auth),
    () =>
      request(routes.interactText(world, actor.conversationId), {
        ...auth,
        contentType: FORM,
        body: textForm(B, "hello"),
      }),
    () =>
      request(routes.interactVoice(world, actor.conversationId), {
        ...auth,
        contentType: "audio/wav",
        body: silenceWav(300),
      }),
    () => request(`${org}/conversation/${actor.conversationId}/finish/`, { ...auth, method: "POST" }),
    () => request(`${org}/user/`, auth),
    () => request(`${org}/service/`, auth),
    () =>
      request(`${org}/conversation/?response_format=text`, {
        ...auth,
        contentType: "application/json",
        body: Buffer.from(JSON.stringify({ service_id: world.serviceId })),
      }),
  ])();
}

export function authCases(forged: () => Forgeries): CaseKind[] {
  const kinds: CaseKind[] = [];
  for (const [name, authorization] of Object.entries(BAD_AUTHORIZATIONS)) {
    kinds.push({
      category: "bad-jwt",
      kind: name,
      count: 9,
      lane: "fast",
      expect: { statuses: [401] },
      build: (ctx) =>
        authTarget(
          ctx,
          authorization({
            world: ctx.world,
            forged: forged(),
            rng: ctx.rng,
            valid: ctx.world.users.actors[0]!.token,
          }),
        ),
    });
  }

  // Other organizations' and other users' ids.
  const org = (world: World) => `/v1/${world.orgId}`;
  const someUser = (ctx: BuildContext) => ctx.rng.pick(ctx.world.users.actors);
  const foreign = (
    kind: string,
    count: number,
    statuses: number[],
    make: (ctx: BuildContext) => ReturnType<typeof request>,
  ): CaseKind => ({
    category: "foreign-ids",
    kind,
    count,
    lane: "fast",
    expect: { statuses },
    build: make,
  });
  const randomHexId = (rng: Prng) => rng.bytes(12).toString("hex");
  const malformedIds = (rng: Prng) =>
    rng.pick([
      randomHexId(rng).slice(1),
      `${randomHexId(rng)}0`,
      randomHexId(rng)
        .toUpperCase()
        .replace(/^[0-9]/, "A"),
      "g".repeat(24),
      "zz",
      encodeURIComponent("💥".repeat(12)),
      "%20".repeat(24),
      `${randomHexId(rng).slice(0, 23)}%00`,
    ]);
  const onConversation = (ctx: BuildContext, conversationId: string, token: string) =>
    ctx.rng.pick([
      () => request(`${org(ctx.world)}/conversation/${conversationId}/messages/`, { token }),
      () =>
        request(routes.interactText(ctx.world, conversationId), {
          token,
          contentType: FORM,
          body: textForm(B, "hello there"),
        }),
      () => request(`${org(ctx.world)}/conversation/${conversationId}/finish/`, { token, method: "POST" }),
    ])();
  kinds.push(
    foreign("unknown-organization", 16, [404], (ctx) =>
      request(
        `/v1/${ctx.rng.pick([ctx.rng.letters(ctx.rng.int(1, 40)), encodeURIComponent("组织"), "constructor", "__proto__"])}/conversation/`,
        { token: someUser(ctx).token },
      ),
    ),
    // Path segments far longer than any id or name: still 404 and 422 (the spec lists no 414 here).
    foreign("8000-letter-organization", 4, [404], (ctx) =>
      request(`/v1/${ctx.rng.letters(8_000)}/conversation/`, { token: someUser(ctx).token }),
    ),
    foreign("1000-letter-conversation-id", 4, [422], (ctx) =>
      onConversation(ctx, ctx.rng.letters(1_000), someUser(ctx).token),
    ),
    foreign("other-organization-path", 16, [403], (ctx) =>
      request(`/v1/${OTHER_ORG}/${ctx.rng.pick(["conversation/", "service/", "user/"])}`, {
        token: someUser(ctx).token,
      }),
    ),
    foreign("other-organization-token", 16, [403], (ctx) =>
      request(`${org(ctx.world)}/${ctx.rng.pick(["conversation/", "service/", "user/"])}`, {
        token: forged().otherOrgAdmin,
      }),
    ),
    foreign("other-users-conversation", 30, [404], (ctx) =>
      onConversation(ctx, ctx.world.victim.conversationId, someUser(ctx).token),
    ),
    foreign("other-organizations-conversation", 12, [404], (ctx) =>
      onConversation(ctx, ctx.world.otherOrgConversationId, someUser(ctx).token),
    ),
    foreign("unknown-conversation", 24, [404], (ctx) =>
      onConversation(ctx, randomHexId(ctx.rng), someUser(ctx).token),
    ),
    foreign("malformed-conversation-id", 30, [422], (ctx) =>
      onConversation(ctx, malformedIds(ctx.rng), someUser(ctx).token),
    ),
    foreign("malformed-query-ids", 10, [422], (ctx) =>
      request(
        `${org(ctx.world)}/conversation/?${ctx.rng.pick(["id", "service_id"])}=${malformedIds(ctx.rng)}`,
        {
          token: someUser(ctx).token,
        },
      ),
    ),
    foreign("other-users-user-model", 8, [403], (ctx) =>
      request(`${org(ctx.world)}/user/${ctx.world.victim.userId}/user_model`, { token: someUser(ctx).token }),
    ),
  );

  // Sign-in with guessed keys (PARLEY_SIGNIN_FAILURES_PER_MINUTE is set high, so 401 throughout).
  const signIn = (
    kind: string,
    count: number,
    statuses: number[],
    headers: (ctx: BuildContext) => [string, string][],
    orgName?: (ctx: BuildContext) => string,
  ): CaseKind => ({
    category: "signin-flood",
    kind,
    count,
    lane: "fast",
    expect: { statuses },
    build: (ctx) =>
      request(`/v1/${orgName?.(ctx) ?? ctx.world.orgId}/user/signin_with_api_key`, {
        method: "POST",
        headers: headers(ctx),
      }),
  });
  const keyHeaders = (keyId: string, secret: string, userId: string): [string, string][] => [
    ["X-API-Key", secret],
    ["X-API-Key-ID", keyId],
    ["X-User-ID", userId],
  ];
  kinds.push(
    signIn("signin/random-key-id", 24, [401], (ctx) =>
      keyHeaders(randomHexId(ctx.rng), ctx.rng.letters(43), ctx.world.adminUserId),
    ),
    signIn("signin/wrong-secret", 24, [401], (ctx) =>
      keyHeaders(ctx.world.apiKeyId, ctx.rng.letters(ctx.rng.int(1, 60)), ctx.world.adminUserId),
    ),
    signIn("signin/unknown-user", 8, [401], (ctx) =>
      keyHeaders(ctx.world.apiKeyId, ctx.world.apiKey, randomHexId(ctx.rng)),
    ),
    signIn("signin/8KB-secret", 6, [401], (ctx) =>
      keyHeaders(ctx.world.apiKeyId, ctx.rng.letters(8_000), ctx.world.adminUserId),
    ),
    signIn("signin/missing-headers", 8, [401, 422], (ctx) =>
      keyHeaders(ctx.world.apiKeyId, ctx.world.apiKey, ctx.world.adminUserId).slice(ctx.rng.int(1, 3)),
    ),
    signIn(
      "signin/unknown-organization",
      6,
      [404],
      (ctx) => keyHeaders(ctx.world.apiKeyId, ctx.world.apiKey, ctx.world.adminUserId),
      (ctx) => ctx.rng.letters(12),
    ),
  );

  // Object prototype names where a name is looked up.
  kinds.push(
    {
      category: "prototype-keys",
      kind: "version-set-name",
      count: 18,
      lane: "fast",
      expect: { statuses: [404] },
      build: (ctx) =>
        request(`${org(ctx.world)}/conversation/?response_format=text`, {
          token: someUser(ctx).token,
          contentType: "application/json",
          body: Buffer.from(
            JSON.stringify({
              service_id: ctx.world.serviceId,
              service_version_set_name: ctx.rng.pick([
                "constructor",
                "__proto__",
                "toString",
                "hasOwnProperty",
                "valueOf",
                "__defineGetter__",
                "isPrototypeOf",
                "toLocaleString",
              ]),
            }),
          ),
        }),
    },
    {
      category: "prototype-keys",
      kind: "proto-key-in-json-body",
      count: 5,
      lane: "fast",
      pool: "users",
      expect: { statuses: [400, 422] },
      build: (ctx) =>
        request(routes.interactText(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: "application/json",
          body: Buffer.from(`{"__proto__":{"recorded_message":"hello"},"constructor":{"prototype":{"x":1}}}`),
        }),
    },
  );
  return kinds;
}
