import type { AgentConversationState } from "./agent.js";
import type { JsonObject } from "./json.js";

export interface Conversation {
  id: string;
  organizationId: string;
  userId: string;
  serviceId: string;
  versionSetName: string;
  isFinished: boolean;
  agentState: AgentConversationState | null;
  tags: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
}

export interface Interaction {
  id: string;
  organizationId: string;
  conversationId: string;
  sequence: number;
  stateName: string;
  insights: JsonObject;
  createdAt: string;
}

export type MessageType = "user-message" | "agent-message" | "agent-inner-thought" | "external-event";

export interface Message {
  id: string;
  organizationId: string;
  conversationId: string;
  interactionId: string;
  /** Order within the conversation, from 0. */
  sequence: number;
  senderKind: "user" | "agent" | "system";
  senderName: string;
  messageType: MessageType;
  format: "text" | "voice";
  content: string;
  audio: Uint8Array | null;
  audioMimeType: string | null;
  createdAt: string;
}
