import { newId } from "../../src/domain/ids.js";
import type { Conversation, Interaction, InteractionCommit, Message, User } from "../../src/store/types.js";

/** ISO-8601 UTC time `seconds` after 2026-01-01T00:00:00Z, so tests control the order of rows. */
export const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();

export const firstPage = (limit: number, sortBy: string[] = []) => ({ limit, continuationToken: 0, sortBy });

export function testUser(organizationId: string, n: number, overrides: Partial<User> = {}): User {
  return {
    id: newId(),
    organizationId,
    email: `user${n}@example.test`,
    firstName: `First${n}`,
    lastName: `Last${n}`,
    roleName: "DefaultUserRole",
    preferredLanguage: "eng",
    timezone: "Europe/Paris",
    userModel: { insights: [{ text: "prefers mornings" }] },
    createdAt: at(n),
    ...overrides,
  };
}

export function testConversation(
  organizationId: string,
  userId: string,
  serviceId: string,
  createdAtSeconds = 0,
): Conversation {
  return {
    id: newId(),
    organizationId,
    userId,
    serviceId,
    versionSetName: "release",
    isFinished: false,
    agentState: null,
    tags: {},
    createdAt: at(createdAtSeconds),
    updatedAt: at(createdAtSeconds),
  };
}

/**
 * One turn: a user message (voice, with audio bytes, when `voice`) and the agent's reply, numbered from
 * `firstMessageSequence`.
 */
export function testTurn(
  conversation: Conversation,
  sequence: number,
  firstMessageSequence: number,
  options: { voice?: boolean; stateName?: string; isFinished?: boolean } = {},
): InteractionCommit {
  const interaction: Interaction = {
    id: newId(),
    organizationId: conversation.organizationId,
    conversationId: conversation.id,
    sequence,
    stateName: options.stateName ?? `state-${sequence}`,
    insights: { turn: sequence },
    createdAt: at(10 + sequence),
  };
  const message = (offset: number, fromUser: boolean): Message => ({
    id: newId(),
    organizationId: conversation.organizationId,
    conversationId: conversation.id,
    interactionId: interaction.id,
    sequence: firstMessageSequence + offset,
    senderKind: fromUser ? "user" : "agent",
    senderName: fromUser ? "user" : "Ada",
    messageType: fromUser ? "user-message" : "agent-message",
    format: fromUser && options.voice === true ? "voice" : "text",
    content: `turn ${sequence} ${fromUser ? "question" : "answer"}`,
    audio: fromUser && options.voice === true ? new Uint8Array([82, 73, 70, 70, 0, 255]) : null,
    audioMimeType: fromUser && options.voice === true ? "audio/wav" : null,
    createdAt: at(10 + sequence),
  });
  return {
    interaction,
    messages: [message(0, true), message(1, false)],
    conversationUpdate: {
      agentState: { current: interaction.stateName },
      isFinished: options.isFinished ?? false,
      updatedAt: at(10 + sequence),
    },
  };
}
