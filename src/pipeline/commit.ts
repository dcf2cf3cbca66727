import type { Store } from "../store/types.js";
import type { TurnRecord } from "./turn.js";

/** The few store methods committing a turn needs. */
export type TurnStore = Pick<Store, "conversationMessageStats" | "countInteractions" | "commitInteraction">;

/** What of the reply the user actually got: all of it, or (after a barge-in) the heard prefix. */
export type Delivered = { kind: "all" } | { kind: "prefix"; text: string };

/**
 * Stores a produced turn in one transaction: its messages after the conversation's last, the
 * interaction, and the conversation's new state. Runs outside the turn's abortable scope: once called,
 * it completes. With a heard prefix the agent message keeps only that text.
 */
export async function commitTurn(
  store: TurnStore,
  record: TurnRecord,
  delivered: Delivered,
  updatedAt: string,
): Promise<{ fullMessage: string }> {
  const { conversation } = record;
  const orgId = conversation.organizationId;
  const fullMessage = delivered.kind === "all" ? record.fullMessage : delivered.text;
  const baseSequence = (await store.conversationMessageStats(orgId, conversation.id)).count;
  const sequence = await store.countInteractions(orgId, conversation.id);
  await store.commitInteraction(orgId, {
    interaction: {
      id: record.interactionId,
      organizationId: orgId,
      conversationId: conversation.id,
      sequence,
      stateName: record.currentStateName,
      insights: { actions: record.actions, started_at: record.startedAt },
      createdAt: record.startedAt,
    },
    messages: record.messages.map((message, index) => ({
      ...message,
      sequence: baseSequence + index,
      content: message.id === record.agentMessageId ? fullMessage : message.content,
    })),
    conversationUpdate: {
      agentState: record.nextState,
      isFinished: record.conversationCompleted,
      updatedAt,
    },
  });
  return { fullMessage };
}
