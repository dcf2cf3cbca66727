import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import type { Store } from "../../src/store/types.js";
import { openTestStore, storeKinds, type TestStore } from "../helpers/store-fixtures.js";
import { at, firstPage, testConversation, testTurn } from "./entities.js";

describe.each(storeKinds)("conversations, interactions and messages on %s", (kind) => {
  let opened: TestStore;
  let store: Store;
  const orgA = newId();
  const orgB = newId();

  beforeAll(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    await store.createOrganization({ id: orgA, name: orgA, title: "A", createdAt: at(0) });
    await store.createOrganization({ id: orgB, name: orgB, title: "B", createdAt: at(0) });
  });
  afterAll(async () => opened.cleanup());

  it("writes a whole turn at once: interaction, messages with voice audio, conversation state", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    expect(await store.getConversation(orgA, conversation.id)).toEqual(conversation);

    const turn = testTurn(conversation, 0, 0, { voice: true, stateName: "greet" });
    await store.commitInteraction(orgA, turn);
    expect(await store.getInteraction(orgA, conversation.id, turn.interaction.id)).toEqual(turn.interaction);
    expect(await store.countInteractions(orgA, conversation.id)).toBe(1);
    const [userMessage, agentMessage] = turn.messages as [
      (typeof turn.messages)[0],
      (typeof turn.messages)[0],
    ];
    expect(await store.getMessage(orgA, conversation.id, userMessage.id)).toEqual(userMessage);
    expect(await store.getMessage(orgA, conversation.id, agentMessage.id)).toEqual(agentMessage);
    expect((await store.getMessage(orgA, conversation.id, userMessage.id))?.audio).toEqual(
      new Uint8Array([82, 73, 70, 70, 0, 255]),
    );
    const stored = await store.getConversation(orgA, conversation.id);
    expect(stored?.agentState).toEqual({ current: "greet" });
    expect(stored?.updatedAt).toBe(turn.conversationUpdate.updatedAt);
    expect(await store.conversationMessageStats(orgA, conversation.id)).toEqual({
      count: 2,
      lastMessage: agentMessage.content,
    });
  });

  it("leaves nothing of a turn that fails part way", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    await store.commitInteraction(orgA, testTurn(conversation, 0, 0));

    // The interaction row is new, but its second message reuses a taken sequence number.
    const clash = testTurn(conversation, 1, 2, { isFinished: true });
    clash.messages[1]!.sequence = 0;
    await expect(store.commitInteraction(orgA, clash)).rejects.toMatchObject({ code: "conflict" });
    expect(await store.countInteractions(orgA, conversation.id)).toBe(1);
    expect(await store.getInteraction(orgA, conversation.id, clash.interaction.id)).toBeUndefined();
    expect((await store.listMessages(orgA, conversation.id, {}, firstPage(10))).items).toHaveLength(2);
    expect((await store.getConversation(orgA, conversation.id))?.isFinished).toBe(false);

    const repeated = testTurn(conversation, 0, 2);
    await expect(store.commitInteraction(orgA, repeated)).rejects.toMatchObject({ code: "conflict" });
    expect((await store.listMessages(orgA, conversation.id, {}, firstPage(10))).items).toHaveLength(2);
  });

  it("rolls back everything written inside a transaction that throws", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    const other = testConversation(orgA, newId(), newId());
    await expect(
      store.transaction(async (tx) => {
        await tx.setConversationFinished(orgA, conversation.id, at(50));
        await tx.createConversation(other);
        await tx.commitInteraction(orgA, testTurn(conversation, 0, 0));
        throw new Error("turn aborted");
      }),
    ).rejects.toThrow("turn aborted");
    expect(await store.getConversation(orgA, conversation.id)).toEqual(conversation);
    expect(await store.getConversation(orgA, other.id)).toBeUndefined();
    expect(await store.countInteractions(orgA, conversation.id)).toBe(0);

    const result = await store.transaction(async (tx) => {
      await tx.createConversation(other);
      return "kept";
    });
    expect(result).toBe("kept");
    expect(await store.getConversation(orgA, other.id)).toEqual(other);
  });

  it("cannot write a turn into another organization's conversation", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    const turn = testTurn(conversation, 0, 0);
    await expect(store.commitInteraction(orgB, turn)).rejects.toMatchObject({ code: "not_found" });
    expect(await store.countInteractions(orgB, conversation.id)).toBe(0);
    expect(await store.countInteractions(orgA, conversation.id)).toBe(0);
    expect((await store.listMessages(orgA, conversation.id, {}, firstPage(10))).items).toEqual([]);
    expect(await store.getConversation(orgB, conversation.id)).toBeUndefined();
    await store.setConversationFinished(orgB, conversation.id, at(99));
    await store.setConversationTags(orgB, conversation.id, { stolen: "yes" }, at(99));
    await store.deleteConversation(orgB, conversation.id);
    expect(await store.getConversation(orgA, conversation.id)).toEqual(conversation);
  });

  it("refuses messages that belong to another interaction", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    const turn = testTurn(conversation, 0, 0);
    turn.messages[0]!.interactionId = newId();
    await expect(store.commitInteraction(orgA, turn)).rejects.toMatchObject({ code: "bad_request" });
    expect(await store.countInteractions(orgA, conversation.id)).toBe(0);
  });

  it("pages, filters and sorts a conversation's messages", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    const turns = [0, 1, 2].map((i) => testTurn(conversation, i, i * 2));
    for (const turn of turns) await store.commitInteraction(orgA, turn);
    const all = turns.flatMap((t) => t.messages.map((m) => m.content));

    const contents: string[] = [];
    let token: number | null = 0;
    while (token !== null) {
      const page = await store.listMessages(
        orgA,
        conversation.id,
        {},
        { limit: 4, continuationToken: token, sortBy: [] },
      );
      contents.push(...page.items.map((m) => m.content));
      expect(page.hasMore).toBe(page.continuationToken !== null);
      token = page.continuationToken;
    }
    expect(contents).toEqual(all);

    const newest = await store.listMessages(orgA, conversation.id, {}, firstPage(2, ["-created_at"]));
    expect(newest.items.map((m) => m.content)).toEqual([all[5], all[4]]);
    const byInteraction = await store.listMessages(
      orgA,
      conversation.id,
      {},
      firstPage(6, ["-interaction_id", "created_at"]),
    );
    expect(byInteraction.items.map((m) => m.content)).toEqual([
      all[4],
      all[5],
      all[2],
      all[3],
      all[0],
      all[1],
    ]);
    const agentOnly = await store.listMessages(
      orgA,
      conversation.id,
      { messageTypes: ["agent-message"] },
      firstPage(10),
    );
    expect(agentOnly.items.map((m) => m.content)).toEqual([all[1], all[3], all[5]]);
    const ofTurn = await store.listMessages(
      orgA,
      conversation.id,
      { interactionIds: [turns[1]!.interaction.id] },
      firstPage(10),
    );
    expect(ofTurn.items.map((m) => m.content)).toEqual([all[2], all[3]]);
    const byId = await store.listMessages(
      orgA,
      conversation.id,
      { ids: [turns[2]!.messages[0]!.id] },
      firstPage(10),
    );
    expect(byId.items.map((m) => m.content)).toEqual([all[4]]);
    expect((await store.listMessages(orgB, conversation.id, {}, firstPage(10))).items).toEqual([]);
  });

  it("finds the unfinished conversation, filters, sorts and pages conversations", async () => {
    const userId = newId();
    const serviceId = newId();
    const finished = { ...testConversation(orgA, userId, serviceId, 1), isFinished: true };
    const open = testConversation(orgA, userId, serviceId, 2);
    const otherService = testConversation(orgA, userId, newId(), 3);
    for (const c of [finished, open, otherService]) await store.createConversation(c);

    expect((await store.findUnfinishedConversation(orgA, userId, serviceId))?.id).toBe(open.id);
    expect(await store.findUnfinishedConversation(orgB, userId, serviceId)).toBeUndefined();
    expect(await store.countFinishedConversations(orgA, userId, serviceId)).toBe(1);

    const newestFirst = await store.listConversations(orgA, { userIds: [userId] }, firstPage(2));
    expect(newestFirst.items.map((c) => c.id)).toEqual([otherService.id, open.id]);
    expect(newestFirst).toMatchObject({ hasMore: true, continuationToken: 2 });
    const rest = await store.listConversations(
      orgA,
      { userIds: [userId] },
      { limit: 2, continuationToken: 2, sortBy: [] },
    );
    expect(rest).toEqual({ items: [finished], hasMore: false, continuationToken: null });

    const oldestFirst = await store.listConversations(
      orgA,
      { userIds: [userId] },
      firstPage(5, [" created_at"]),
    );
    expect(oldestFirst.items.map((c) => c.id)).toEqual([finished.id, open.id, otherService.id]);
    const done = await store.listConversations(orgA, { userIds: [userId], isFinished: true }, firstPage(5));
    expect(done.items.map((c) => c.id)).toEqual([finished.id]);
    const ofService = await store.listConversations(
      orgA,
      { serviceIds: [serviceId], isFinished: false },
      firstPage(5),
    );
    expect(ofService.items.map((c) => c.id)).toEqual([open.id]);
    const byIds = await store.listConversations(orgA, { ids: [open.id, finished.id] }, firstPage(5));
    expect(byIds.items).toHaveLength(2);
    expect((await store.listConversations(orgB, { userIds: [userId] }, firstPage(5))).items).toEqual([]);
  });

  it("tags, finishes and deletes a conversation with its turns", async () => {
    const conversation = testConversation(orgA, newId(), newId());
    await store.createConversation(conversation);
    await store.commitInteraction(orgA, testTurn(conversation, 0, 0));
    await store.setConversationTags(orgA, conversation.id, { priority: "high", reviewed: null }, at(60));
    await store.setConversationFinished(orgA, conversation.id, at(61));
    const stored = await store.getConversation(orgA, conversation.id);
    expect(stored).toMatchObject({
      tags: { priority: "high", reviewed: null },
      isFinished: true,
      updatedAt: at(61),
    });

    await store.deleteConversation(orgA, conversation.id);
    expect(await store.getConversation(orgA, conversation.id)).toBeUndefined();
    expect(await store.countInteractions(orgA, conversation.id)).toBe(0);
    expect(await store.conversationMessageStats(orgA, conversation.id)).toEqual({
      count: 0,
      lastMessage: "",
    });
  });
});
