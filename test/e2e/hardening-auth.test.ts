import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import { ADMIN_ROLE_NAME, DEFAULT_USER_ROLE_NAME } from "../../src/domain/permissions.js";
import { MAX_USER_PATTERN_CHARS } from "../../src/lib/user-pattern.js";
import { call, callStream, type StreamEvent } from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { storeKinds } from "../helpers/store-fixtures.js";

const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.type === type);

type ValidationBody = { detail: { loc: string[]; msg: string }[] };

describe.each(storeKinds)("hostile requests against auth, keys and filters on %s", (store) => {
  let t: TestServer;
  let token: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestServer({ store, env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" } });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
  });
  afterAll(async () => t.close());

  const signIn = (keyId: string, secret: string, userId: string) =>
    fetch(`${base}/user/signin_with_api_key`, {
      method: "POST",
      headers: { "x-api-key": secret, "x-api-key-id": keyId, "x-user-id": userId },
    }).then((r) => r.status);
  const createKey = (auth: string, json: Record<string, unknown>) =>
    call<{ api_key_id: string; api_key: string }>(`${base}/organization/api_key/`, auth, {
      method: "POST",
      // Keys made here carry the demo admin's own role unless a case names another.
      json: { name: "k", duration: "P1D", role_name: "DefaultAmigoAdministratorRole", ...json },
    });
  const invite = async (roleName: string) => {
    const invited = await call<{ user_id: string }>(`${base}/user/`, token, {
      method: "POST",
      json: {
        first_name: "Kim",
        last_name: "Doe",
        email: `kim-${newId()}@example.com`,
        role_name: roleName,
      },
    });
    expect(invited.status).toBe(201);
    return invited.body.user_id;
  };
  const createConversation = (query: string, json: Record<string, unknown> = {}) =>
    callStream(`${base}/conversation/?response_format=text&${query}`, token, {
      json: { service_id: t.serviceId, ...json },
    });
  const finish = (events: StreamEvent[]) =>
    call(`${base}/conversation/${events[0]!.conversation_id as string}/finish/`, token, { method: "POST" });

  // What broke: `current_agent_action_type=^(.|.){0,25}X` ran on the backtracking RegExp engine, 5 to 7
  // seconds per agent action on the event loop, stalling every client of the server ({0,28} is 8 times that).
  it("runs an exponential-backtracking action type filter without stalling", async () => {
    const startedAt = Date.now();
    const created = await createConversation(
      `current_agent_action_type=${encodeURIComponent("^(.|.){0,28}X")}`,
    );
    const elapsedMs = Date.now() - startedAt;
    expect(created.status).toBe(201);
    expect(ofType(created.events, "current-agent-action")).toHaveLength(0);
    expect(ofType(created.events, "interaction-complete")).toHaveLength(1);
    await finish(created.events);
    // Generous: each agent action cost the old engine seconds.
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it("answers 422 for a filter only a backtracking engine runs, or one too long", async () => {
    for (const pattern of [
      "^(?=navigate)",
      "(a)\\1",
      "x".repeat(MAX_USER_PATTERN_CHARS + 1),
      "[",
      ".{100000}",
    ]) {
      const created = await callStream(
        `${base}/conversation/?response_format=text&current_agent_action_type=${encodeURIComponent(pattern)}`,
        token,
        { json: { service_id: t.serviceId } },
      );
      expect([pattern.slice(0, 20), created.status]).toEqual([pattern.slice(0, 20), 422]);
      const body = JSON.parse(created.raw) as ValidationBody;
      expect(body.detail[0]?.loc).toEqual(["query", "current_agent_action_type"]);
    }
  });

  // What broke: a key created with DefaultUserRole signed the admin in, with admin rights.
  it("signs in with a key only users whose role is within the key's role", async () => {
    const key = await createKey(token, { role_name: DEFAULT_USER_ROLE_NAME });
    expect(key.status).toBe(201);
    expect(await signIn(key.body.api_key_id, key.body.api_key, t.userId)).toBe(401);
    const ordinary = await invite(DEFAULT_USER_ROLE_NAME);
    expect(await signIn(key.body.api_key_id, key.body.api_key, ordinary)).toBe(200);
    expect(await signIn(t.apiKeyId, t.apiKey, ordinary)).toBe(200);
    await call(`${base}/organization/api_key/${key.body.api_key_id}/`, token, { method: "DELETE" });
  });

  it("lets a user create keys only for roles within their own", async () => {
    await t.server.store.upsertRole({
      id: newId(),
      organizationId: t.orgId,
      name: "KeyMaker",
      description: "may create API keys",
      permissions: ["Organization:CreateAPIKey", "Organization:DeleteAPIKey", "User:GetUserInfo"],
    });
    const keyMakerToken = await t.token(await invite("KeyMaker"));
    expect((await createKey(keyMakerToken, { role_name: ADMIN_ROLE_NAME })).status).toBe(403);
    const own = await createKey(keyMakerToken, { role_name: "KeyMaker" });
    expect(own.status).toBe(201);
    expect((await createKey(keyMakerToken, { role_name: DEFAULT_USER_ROLE_NAME })).status).toBe(403);
    await call(`${base}/organization/api_key/${own.body.api_key_id}/`, token, { method: "DELETE" });
  });

  // What broke: anyone with User:InviteUser could invite a user with the administrator role.
  it("lets a user invite others only with roles within their own", async () => {
    await t.server.store.upsertRole({
      id: newId(),
      organizationId: t.orgId,
      name: "Inviter",
      description: "may invite users",
      permissions: ["User:InviteUser", "User:GetUserInfo"],
    });
    const inviterToken = await t.token(await invite("Inviter"));
    const asInviter = (roleName: string) =>
      call(`${base}/user/`, inviterToken, {
        method: "POST",
        json: {
          first_name: "Lee",
          last_name: "Doe",
          email: `lee-${newId()}@example.com`,
          role_name: roleName,
        },
      });
    expect((await asInviter(ADMIN_ROLE_NAME)).status).toBe(403);
    expect((await asInviter("Inviter")).status).toBe(201);
  });

  it("allows at most 20 live API keys per organization, also under concurrent creation", async () => {
    const liveKeys = async () =>
      (
        await call<{ api_keys: { key_id: string; expires_at: string }[] }>(
          `${base}/organization/api_key/?limit=100`,
          token,
        )
      ).body.api_keys.filter((k) => Date.parse(k.expires_at) > Date.now());
    const before = (await liveKeys()).length;
    expect(before).toBeLessThan(18);
    for (let i = before; i < 18; i += 1) expect((await createKey(token, {})).status).toBe(201);
    // Racing creations may all be refused, but never leave more than 20.
    const racing = await Promise.all(Array.from({ length: 5 }, () => createKey(token, {})));
    const won = racing.filter((r) => r.status === 201).length;
    expect(racing.filter((r) => r.status === 400)).toHaveLength(5 - won);
    expect(await liveKeys()).toHaveLength(18 + won);
    expect(won).toBeLessThanOrEqual(2);
    for (let i = 18 + won; i < 20; i += 1) expect((await createKey(token, {})).status).toBe(201);
    const refused = await createKey(token, {});
    expect(refused.status).toBe(400);
    expect(await liveKeys()).toHaveLength(20);
    // Deleting one makes room again.
    const [oldest] = (await liveKeys()).filter((k) => k.key_id !== t.apiKeyId);
    await call(`${base}/organization/api_key/${oldest!.key_id}/`, token, { method: "DELETE" });
    expect((await createKey(token, {})).status).toBe(201);
    for (const key of await liveKeys()) {
      if (key.key_id !== t.apiKeyId) {
        await call(`${base}/organization/api_key/${key.key_id}/`, token, { method: "DELETE" });
      }
    }
  });

  // What broke: `service_version_set_name: "constructor"` found Object.prototype.constructor and
  // started a conversation on the service's latest versions instead of answering 404.
  it("answers 404 for a version set named after an Object.prototype property", async () => {
    for (const name of ["no-such-set", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const created = await createConversation("", { service_version_set_name: name });
      if (created.status === 201) await finish(created.events);
      expect([name, created.status]).toEqual([name, 404]);
    }
  });
});
