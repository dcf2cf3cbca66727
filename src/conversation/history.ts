import type { Conversation } from "../domain/conversation.js";
import { type ConversationEntry, MAX_HISTORY_ENTRIES } from "../engines/agent/types.js";
import type { Store } from "../store/types.js";

/**
 * The conversation so far as the agent remembers it: the last `MAX_HISTORY_ENTRIES` user, agent and
 * external-event messages, oldest first. A reply the user interrupted is stored as the heard prefix,
 * so that is what the agent sees.
 */
export async function loadConversationHistory(
  store: Pick<Store, "listMessages">,
  conversation: Conversation,
): Promise<ConversationEntry[]> {
  const page = await store.listMessages(
    conversation.organizationId,
    conversation.id,
    { messageTypes: ["user-message", "agent-message", "external-event"] },
    { limit: MAX_HISTORY_ENTRIES, continuationToken: 0, sortBy: ["-sequence"] },
  );
  return page.items.reverse().map((message) => ({
    role:
      message.messageType === "agent-message"
        ? "agent"
        : message.messageType === "external-event"
          ? "external-event"
          : "user",
    text: message.content,
  }));
}
