import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import { openStore } from "../../src/store/open-store.js";
import type { Conversation, Message, Store } from "../../src/store/types.js";
import { createTestDatabase, openTestStore, storeKinds } from "../helpers/store-fixtures.js";

const now = () => new Date().toISOString();
const page = (limit: number, continuationToken = 0) => ({ limit, continuationToken, sortBy: [] });

function conversation(orgId: string, userId: string, serviceId: string): Conversation {
  return {
    id: newId(),
    organizationId: orgId,
    userId,
    serviceId,
    versionSetName: "release",
    isFinished: false,
    agentState: null,
    tags: {},
    createdAt: now(),
    updatedAt: now(),
  };
}

function message(orgId: string, c: Conversation, interactionId: string, sequence: number): Message {
  return {
    id: newId(),
    organizationId: orgId,
    conversationId: c.id,
    interactionId,
    sequence,
    senderKind: sequence % 2 === 0 ? "user" : "agent",
    senderName: "x",
    messageType: sequence % 2 === 0 ? "user-message" : "agent-message",
    format: "text",
    content: `message ${sequence}`,
    audio: sequence === 0 ? new Uint8Array([1, 2, 3]) : null,
    audioMimeType: sequence === 0 ? "audio/wav" : null,
    createdAt: now(),
  };
}

describe.each(storeKinds)("store on %s", (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const orgA = newId();
  const orgB = newId();

  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(kind));
    await store.createOrganization({ id: orgA, name: `a-${orgA}`, title: "A", createdAt: now() });
    await store.createOrganization({ id: orgB, name: `b-${orgB}`, title: "B", createdAt: now() });
  });
  afterAll(async () => cleanup());

  it("finds organizations by id and by name", async () => {
    expect((await store.getOrganization(orgA))?.title).toBe("A");
    expect((await store.getOrganization(`b-${orgB}`))?.id).toBe(orgB);
    expect(await store.getOrganization(newId())).toBeUndefined();
  });

  it("keeps each organization's users apart and pages through them", async () => {
    for (let i = 0; i < 5; i += 1) {
      await store.createUser({
        id: newId(),
        organizationId: orgA,
        email: `u${i}@a.test`,
        firstName: "U",
        lastName: String(i),
        roleName: "DefaultUserRole",
        preferredLanguage: "en-US",
        timezone: "UTC",
        userModel: { likes: ["tea"] },
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      });
    }
    const first = await store.listUsers(orgA, {}, page(2));
    expect(first.items.map((u) => u.email)).toEqual(["u0@a.test", "u1@a.test"]);
    expect(first.hasMore).toBe(true);
    const last = await store.listUsers(orgA, {}, page(2, 4));
    expect(last.items).toHaveLength(1);
    expect(last.hasMore).toBe(false);
    expect(last.continuationToken).toBeNull();
    expect((await store.listUsers(orgB, {}, page(10))).items).toHaveLength(0);
    const byEmail = await store.listUsers(orgA, { emails: ["u3@a.test"] }, page(10));
    expect(byEmail.items[0]?.userModel).toEqual({ likes: ["tea"] });
    const someone = byEmail.items[0]!;
    expect(await store.getUser(orgB, someone.id)).toBeUndefined();
  });

  it("numbers versions of agents and context graphs from 1", async () => {
    const agentId = newId();
    await store.createVersioned("agent", {
      id: agentId,
      organizationId: orgA,
      name: "agent",
      description: "",
      createdAt: now(),
    });
    const v1 = await store.addVersion("agent", orgA, agentId, { name: "one" }, now());
    const v2 = await store.addVersion("agent", orgA, agentId, { name: "two" }, now());
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect((await store.getVersion("agent", orgA, agentId, "latest"))?.body).toEqual({ name: "two" });
    expect((await store.getVersion("agent", orgA, agentId, 1))?.body).toEqual({ name: "one" });
    expect(await store.getVersion("agent", orgB, agentId, 1)).toBeUndefined();
    expect((await store.listVersions("agent", orgA, agentId, page(10))).items).toHaveLength(2);
  });

  it("commits a whole interaction atomically and rolls back a failed transaction", async () => {
    const c = conversation(orgA, newId(), newId());
    await store.createConversation(c);
    const interactionId = newId();
    await store.commitInteraction(orgA, {
      interaction: {
        id: interactionId,
        organizationId: orgA,
        conversationId: c.id,
        sequence: 0,
        stateName: "greet",
        insights: { a: 1 },
        createdAt: now(),
      },
      messages: [message(orgA, c, interactionId, 0), message(orgA, c, interactionId, 1)],
      conversationUpdate: { agentState: { current: "greet" }, isFinished: false, updatedAt: now() },
    });
    const messages = await store.listMessages(orgA, c.id, {}, page(10));
    expect(messages.items.map((m) => m.content)).toEqual(["message 0", "message 1"]);
    expect(Array.from(messages.items[0]!.audio!)).toEqual([1, 2, 3]);
    expect((await store.getConversation(orgA, c.id))?.agentState).toEqual({ current: "greet" });

    // A duplicate interaction sequence makes the commit fail; nothing of it may remain.
    const second = newId();
    await expect(
      store.commitInteraction(orgA, {
        interaction: {
          id: second,
          organizationId: orgA,
          conversationId: c.id,
          sequence: 0,
          stateName: "x",
          insights: {},
          createdAt: now(),
        },
        messages: [message(orgA, c, second, 2)],
        conversationUpdate: { agentState: { current: "x" }, isFinished: true, updatedAt: now() },
      }),
    ).rejects.toThrow();
    expect((await store.listMessages(orgA, c.id, {}, page(10))).items).toHaveLength(2);
    expect((await store.getConversation(orgA, c.id))?.isFinished).toBe(false);

    await expect(
      store.transaction(async (tx) => {
        await tx.setConversationFinished(orgA, c.id, now());
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await store.getConversation(orgA, c.id))?.isFinished).toBe(false);
    expect(await store.getConversation(orgB, c.id)).toBeUndefined();
  });

  it("filters conversations and finds the user's unfinished one", async () => {
    const userId = newId();
    const serviceId = newId();
    const open = conversation(orgA, userId, serviceId);
    const done = { ...conversation(orgA, userId, serviceId), isFinished: true };
    await store.createConversation(open);
    await store.createConversation(done);
    expect((await store.findUnfinishedConversation(orgA, userId, serviceId))?.id).toBe(open.id);
    const finished = await store.listConversations(orgA, { userIds: [userId], isFinished: true }, page(10));
    expect(finished.items.map((x) => x.id)).toEqual([done.id]);
    expect(await store.countFinishedConversations(orgA, userId, serviceId)).toBe(1);
    expect((await store.listConversations(orgB, { userIds: [userId] }, page(10))).items).toHaveLength(0);
  });
});

describe("migrations", () => {
  it("run once when two processes open the same PostgreSQL database at the same time", async () => {
    const database = await createTestDatabase("postgres");
    try {
      const stores = await Promise.all([
        openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir }),
        openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir }),
      ]);
      const orgId = newId();
      await stores[0].createOrganization({ id: orgId, name: orgId, title: "t", createdAt: now() });
      expect((await stores[1].getOrganization(orgId))?.id).toBe(orgId);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await database.cleanup();
    }
  });
});
