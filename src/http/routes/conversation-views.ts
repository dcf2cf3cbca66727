import type { Conversation, Message, Store } from "../../store/types.js";
import type { ServiceContext } from "../../conversation/context.js";

/** The spec's ConversationInstance. */
export async function conversationInstance(
  store: Store,
  conversation: Conversation,
  context?: ServiceContext,
) {
  const stats = await store.conversationMessageStats(conversation.organizationId, conversation.id);
  return {
    id: conversation.id,
    user_id: conversation.userId,
    created_at: conversation.createdAt,
    is_finished: conversation.isFinished,
    is_analyzed: false,
    completed_post_processings: [],
    final_message: stats.lastMessage,
    service_id: conversation.serviceId,
    version_set_info:
      context === undefined
        ? null
        : {
            name: conversation.versionSetName,
            agent_version_info: [context.service.agentId, context.agentVersion],
            service_hierarchical_state_machine_version_info: [context.service.graphId, context.graphVersion],
            llm_model_preferences: {},
          },
    num_messages: stats.count,
    tags: conversation.tags,
  };
}

/** The spec's MessageInstance. */
export function messageInstance(message: Message) {
  return {
    id: message.id,
    interaction_id: message.interactionId,
    created_at: message.createdAt,
    sender: message.senderName,
    message: message.content,
    format: message.format,
    message_type: message.messageType,
  };
}
