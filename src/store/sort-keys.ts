import type { ExpressionBuilder } from "kysely";
import type { SortKey } from "./paging.js";
import type { Database } from "./schema.js";

type Builder = ExpressionBuilder<Database, keyof Database>;

/** Number of conversations the listed user started. */
export const userConversationCount = (eb: Builder) =>
  eb
    .selectFrom("conversations")
    .select((sub) => sub.fn.countAll().as("num_conversations"))
    .whereRef("conversations.organization_id", "=", "users.organization_id")
    .whereRef("conversations.user_id", "=", "users.id");

/** Messages the listed user sent and received: every message of the user's conversations. */
function userMessages(eb: Builder) {
  return eb
    .selectFrom("messages")
    .innerJoin("conversations", "conversations.id", "messages.conversation_id")
    .whereRef("conversations.organization_id", "=", "users.organization_id")
    .whereRef("conversations.user_id", "=", "users.id");
}

export const userMessageCount = (eb: Builder) =>
  userMessages(eb).select((sub) => sub.fn.countAll().as("num_messages"));

export const userLastMessageTime = (eb: Builder) =>
  userMessages(eb).select((sub) => sub.fn.max("messages.created_at").as("last_message_time"));

/** The fields `GET /user/` sorts by (the spec's list plus `created_at`, the default). */
export const USER_SORT_KEYS: Record<string, SortKey> = {
  created_at: "created_at",
  email: "email",
  first_name: "first_name",
  last_name: "last_name",
  "user_stats.num_conversations": userConversationCount,
  "user_stats.num_messages": userMessageCount,
  "user_stats.last_message_time": userLastMessageTime,
};

/**
 * The fields `GET /conversation/{id}/messages/` sorts by. Messages are numbered in the order they were
 * written, so `created_at` orders by that number (exact even when two share a timestamp), and
 * `interaction_id` orders by the interaction's position in the conversation.
 */
export const MESSAGE_SORT_KEYS: Record<string, SortKey> = {
  created_at: "sequence",
  sequence: "sequence",
  interaction_id: (eb: Builder) =>
    eb
      .selectFrom("interactions")
      .select("interactions.sequence")
      .whereRef("interactions.id", "=", "messages.interaction_id"),
};
