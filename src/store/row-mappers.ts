import type { AgentConversationState } from "../domain/agent.js";
import type { Database } from "./schema.js";
import type { ApiKey, Conversation, Interaction, Message, Role, Service, User } from "./types.js";

type Row<T extends keyof Database> = Database[T];

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export const toRole = (r: Row<"roles">): Role => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  description: r.description,
  permissions: parseJson<string[]>(r.permissions_json),
});

export const toUser = (r: Row<"users">): User => ({
  id: r.id,
  organizationId: r.organization_id,
  email: r.email,
  firstName: r.first_name,
  lastName: r.last_name,
  roleName: r.role_name,
  preferredLanguage: r.preferred_language,
  timezone: r.timezone,
  userModel: parseJson(r.user_model_json),
  createdAt: r.created_at,
});

export const fromUser = (u: User): Row<"users"> => ({
  id: u.id,
  organization_id: u.organizationId,
  email: u.email,
  first_name: u.firstName,
  last_name: u.lastName,
  role_name: u.roleName,
  preferred_language: u.preferredLanguage,
  timezone: u.timezone,
  user_model_json: JSON.stringify(u.userModel),
  created_at: u.createdAt,
});

export const toApiKey = (r: Row<"api_keys">): ApiKey => ({
  id: r.id,
  organizationId: r.organization_id,
  userId: r.user_id,
  secretHash: r.secret_hash,
  roleName: r.role_name,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
});

export const toService = (r: Row<"services">): Service => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  description: r.description,
  agentId: r.agent_id,
  graphId: r.graph_id,
  isActive: Number(r.is_active) === 1,
  tags: parseJson(r.tags_json),
  versionSets: parseJson(r.version_sets_json),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const fromService = (s: Service): Row<"services"> => ({
  id: s.id,
  organization_id: s.organizationId,
  name: s.name,
  description: s.description,
  agent_id: s.agentId,
  graph_id: s.graphId,
  is_active: s.isActive ? 1 : 0,
  tags_json: JSON.stringify(s.tags),
  version_sets_json: JSON.stringify(s.versionSets),
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

export const toConversation = (r: Row<"conversations">): Conversation => ({
  id: r.id,
  organizationId: r.organization_id,
  userId: r.user_id,
  serviceId: r.service_id,
  versionSetName: r.version_set_name,
  isFinished: Number(r.is_finished) === 1,
  agentState: parseJson<AgentConversationState | null>(r.agent_state_json),
  tags: parseJson(r.tags_json),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toInteraction = (r: Row<"interactions">): Interaction => ({
  id: r.id,
  organizationId: r.organization_id,
  conversationId: r.conversation_id,
  sequence: Number(r.sequence),
  stateName: r.state_name,
  insights: parseJson(r.insights_json),
  createdAt: r.created_at,
});

export const toMessage = (r: Row<"messages">): Message => ({
  id: r.id,
  organizationId: r.organization_id,
  conversationId: r.conversation_id,
  interactionId: r.interaction_id,
  sequence: Number(r.sequence),
  senderKind: r.sender_kind as Message["senderKind"],
  senderName: r.sender_name,
  messageType: r.message_type as Message["messageType"],
  format: r.format as Message["format"],
  content: r.content,
  audio: r.audio === null ? null : new Uint8Array(r.audio),
  audioMimeType: r.audio_mime_type,
  createdAt: r.created_at,
});

export const fromMessage = (m: Message): Row<"messages"> => ({
  id: m.id,
  organization_id: m.organizationId,
  conversation_id: m.conversationId,
  interaction_id: m.interactionId,
  sequence: m.sequence,
  sender_kind: m.senderKind,
  sender_name: m.senderName,
  message_type: m.messageType,
  format: m.format,
  content: m.content,
  audio: m.audio === null ? null : Buffer.from(m.audio),
  audio_mime_type: m.audioMimeType,
  created_at: m.createdAt,
});
