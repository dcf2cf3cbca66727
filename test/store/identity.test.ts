import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import { apiKeySecretMatches, hashApiKeySecret, newApiKeySecret } from "../../src/http/tokens.js";
import { AppError } from "../../src/lib/app-error.js";
import { ensureRoles } from "../../src/store/seed-demo.js";
import type { Store } from "../../src/store/types.js";
import {
  ADMIN_ROLE_NAME,
  ALL_PERMISSIONS,
  DEFAULT_USER_ROLE_NAME,
  ORGANIZATION_ADMIN_ROLE_NAME,
  SUPER_ADMIN_ROLE_NAME,
} from "../../src/domain/permissions.js";
import { openTestStore, storeKinds, type TestStore } from "../helpers/store-fixtures.js";
import { at, firstPage, testConversation, testTurn, testUser } from "./entities.js";

describe.each(storeKinds)("organizations, roles, users and API keys on %s", (kind) => {
  let opened: TestStore;
  let store: Store;
  const orgA = newId();
  const orgB = newId();

  beforeAll(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    await store.createOrganization({ id: orgA, name: `a-${orgA}`, title: "Org A", createdAt: at(0) });
    await store.createOrganization({ id: orgB, name: `b-${orgB}`, title: "Org B", createdAt: at(0) });
  });
  afterAll(async () => opened.cleanup());

  it("finds organizations by id and by name, and refuses a duplicate name", async () => {
    expect(await store.getOrganization(orgA)).toEqual({
      id: orgA,
      name: `a-${orgA}`,
      title: "Org A",
      createdAt: at(0),
    });
    expect((await store.getOrganization(`b-${orgB}`))?.id).toBe(orgB);
    expect(await store.getOrganization(newId())).toBeUndefined();
    const duplicate = store.createOrganization({
      id: newId(),
      name: `a-${orgA}`,
      title: "x",
      createdAt: at(0),
    });
    await expect(duplicate).rejects.toMatchObject({ code: "conflict", httpStatus: 409 });
  });

  it("keeps built-in roles per organization and updates their permissions in place", async () => {
    await ensureRoles(store, orgA);
    await ensureRoles(store, orgA);
    const roles = await store.listRoles(orgA);
    expect(roles.map((r) => r.name).sort()).toEqual(
      [ADMIN_ROLE_NAME, DEFAULT_USER_ROLE_NAME, ORGANIZATION_ADMIN_ROLE_NAME, SUPER_ADMIN_ROLE_NAME].sort(),
    );
    expect((await store.getRole(orgA, ADMIN_ROLE_NAME))?.permissions).toEqual([...ALL_PERMISSIONS]);
    expect((await store.getRole(orgA, SUPER_ADMIN_ROLE_NAME))?.permissions).toEqual([...ALL_PERMISSIONS]);
    const orgAdmin = (await store.getRole(orgA, ORGANIZATION_ADMIN_ROLE_NAME))!.permissions;
    expect(orgAdmin).toContain("Organization:CreateAPIKey");
    expect(orgAdmin).toContain("Role:CreateRole");
    expect(orgAdmin).not.toContain("Organization:DeleteOrganization");
    expect((await store.getRole(orgA, DEFAULT_USER_ROLE_NAME))?.permissions).toContain(
      "Conversation:InteractWithConversation",
    );
    expect(await store.listRoles(orgB)).toEqual([]);

    const role = (await store.getRole(orgA, DEFAULT_USER_ROLE_NAME))!;
    await store.upsertRole({ ...role, id: newId(), permissions: ["User:GetUserInfo"] });
    expect((await store.getRole(orgA, DEFAULT_USER_ROLE_NAME))?.permissions).toEqual(["User:GetUserInfo"]);
    expect(await store.listRoles(orgA)).toHaveLength(4);
  });

  it("creates, reads, updates and deletes a user, keeping every field", async () => {
    const user = testUser(orgA, 100);
    await store.createUser(user);
    expect(await store.getUser(orgA, user.id)).toEqual(user);
    expect(await store.findUserByEmail(orgA, user.email)).toEqual(user);

    const changed = { ...user, firstName: "Renée", timezone: "UTC", userModel: { likes: ["tea", "jazz"] } };
    await store.updateUser(changed);
    expect(await store.getUser(orgA, user.id)).toEqual(changed);

    const keyId = newId();
    await store.createApiKey({
      id: keyId,
      organizationId: orgA,
      userId: user.id,
      secretHash: hashApiKeySecret(newApiKeySecret()),
      roleName: DEFAULT_USER_ROLE_NAME,
      expiresAt: at(3600),
      createdAt: at(0),
    });
    expect(await store.deleteUser(orgB, user.id)).toBe(false);
    expect(await store.getUser(orgA, user.id)).toBeDefined();
    expect(await store.deleteUser(orgA, user.id)).toBe(true);
    expect(await store.getUser(orgA, user.id)).toBeUndefined();
    expect(await store.getApiKey(orgA, keyId)).toBeUndefined();
    expect(await store.deleteUser(orgA, user.id)).toBe(false);
  });

  it("refuses a second user with the same email in one organization, allows it in another", async () => {
    const user = testUser(orgA, 200);
    await store.createUser(user);
    await expect(store.createUser(testUser(orgA, 200))).rejects.toBeInstanceOf(AppError);
    await expect(store.createUser(testUser(orgA, 200))).rejects.toMatchObject({ code: "conflict" });
    await store.createUser(testUser(orgB, 200));
    const other = testUser(orgA, 201);
    await store.createUser(other);
    await expect(store.updateUser({ ...other, email: user.email })).rejects.toMatchObject({
      code: "conflict",
    });
    expect((await store.getUser(orgA, other.id))?.email).toBe(other.email);
  });

  it("keeps each organization's users apart and pages through them", async () => {
    const org = newId();
    await store.createOrganization({ id: org, name: org, title: "paging", createdAt: at(0) });
    for (let i = 0; i < 5; i += 1) await store.createUser(testUser(org, i));

    const seen: string[] = [];
    let page = await store.listUsers(org, {}, firstPage(2));
    seen.push(...page.items.map((u) => u.email));
    expect(page).toMatchObject({ hasMore: true, continuationToken: 2 });
    while (page.continuationToken !== null) {
      page = await store.listUsers(
        org,
        {},
        { limit: 2, continuationToken: page.continuationToken, sortBy: [] },
      );
      seen.push(...page.items.map((u) => u.email));
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `user${i}@example.test`));
    expect(page.hasMore).toBe(false);

    const byName = await store.listUsers(org, {}, firstPage(5, ["-first_name"]));
    expect(byName.items.map((u) => u.firstName)).toEqual(["First4", "First3", "First2", "First1", "First0"]);
    const filtered = await store.listUsers(org, { emails: ["user3@example.test"] }, firstPage(10));
    expect(filtered.items.map((u) => u.lastName)).toEqual(["Last3"]);
    const byId = await store.listUsers(org, { userIds: [filtered.items[0]!.id] }, firstPage(10));
    expect(byId.items).toHaveLength(1);
    expect((await store.listUsers(orgB, { userIds: [filtered.items[0]!.id] }, firstPage(10))).items).toEqual(
      [],
    );
    expect(await store.getUser(orgB, filtered.items[0]!.id)).toBeUndefined();
  });

  it("counts a user's conversations and messages and sorts users by them", async () => {
    const org = newId();
    await store.createOrganization({ id: org, name: org, title: "stats", createdAt: at(0) });
    const quiet = testUser(org, 1);
    const talkative = testUser(org, 2);
    await store.createUser(quiet);
    await store.createUser(talkative);
    const serviceId = newId();
    for (let c = 0; c < 2; c += 1) {
      const conversation = testConversation(org, talkative.id, serviceId, c);
      await store.createConversation(conversation);
      await store.commitInteraction(org, testTurn(conversation, 0, 0));
    }
    expect(await store.userStats(org, talkative.id)).toEqual({
      numConversations: 2,
      numMessages: 4,
      lastMessageTime: at(10),
    });
    expect(await store.userStats(org, quiet.id)).toEqual({
      numConversations: 0,
      numMessages: 0,
      lastMessageTime: null,
    });
    expect(await store.userStats(orgB, talkative.id)).toBeUndefined();
    const busiestFirst = await store.listUsers(org, {}, firstPage(10, ["-user_stats.num_messages"]));
    expect(busiestFirst.items.map((u) => u.id)).toEqual([talkative.id, quiet.id]);
    const fewestConversations = await store.listUsers(
      org,
      {},
      firstPage(10, ["+user_stats.num_conversations"]),
    );
    expect(fewestConversations.items.map((u) => u.id)).toEqual([quiet.id, talkative.id]);
  });

  it("rejects a page request it cannot run with a typed 422", async () => {
    await expect(store.listUsers(orgA, {}, firstPage(0))).rejects.toMatchObject({ code: "unprocessable" });
    await expect(
      store.listUsers(orgA, {}, { limit: 10, continuationToken: -1, sortBy: [] }),
    ).rejects.toMatchObject({ code: "unprocessable" });
    await expect(store.listUsers(orgA, {}, firstPage(10, ["-password"]))).rejects.toMatchObject({
      code: "unprocessable",
      httpStatus: 422,
    });
  });

  it("stores only a hash of an API key's secret, which verifies the secret and nothing else", async () => {
    const user = testUser(orgA, 300);
    await store.createUser(user);
    const secret = newApiKeySecret();
    const key = {
      id: newId(),
      organizationId: orgA,
      userId: user.id,
      secretHash: hashApiKeySecret(secret),
      roleName: ADMIN_ROLE_NAME,
      expiresAt: at(7200),
      createdAt: at(5),
    };
    await store.createApiKey(key);
    const stored = await store.getApiKey(orgA, key.id);
    expect(stored).toEqual(key);
    expect(stored?.secretHash).not.toContain(secret);
    expect(apiKeySecretMatches(secret, stored!.secretHash)).toBe(true);
    expect(apiKeySecretMatches(newApiKeySecret(), stored!.secretHash)).toBe(false);
    expect(apiKeySecretMatches(`${secret}x`, stored!.secretHash)).toBe(false);

    expect(await store.getApiKey(orgB, key.id)).toBeUndefined();
    const listed = await store.listApiKeys(orgA, firstPage(100));
    expect(listed.items.map((k) => k.id)).toContain(key.id);
    expect((await store.listApiKeys(orgB, firstPage(100))).items).toEqual([]);
    await expect(store.createApiKey(key)).rejects.toMatchObject({ code: "conflict" });
    expect(await store.deleteApiKey(orgB, key.id)).toBe(false);
    expect(await store.deleteApiKey(orgA, key.id)).toBe(true);
    expect(await store.getApiKey(orgA, key.id)).toBeUndefined();
  });
});
