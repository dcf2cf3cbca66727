/**
 * Table shapes for Kysely. The same tables serve SQLite and PostgreSQL: JSON is kept as text, booleans as
 * 0/1 integers, timestamps as ISO-8601 UTC text (which sorts in time order), so one set of queries runs
 * on both.
 */
export interface OrganizationsTable {
  id: string;
  name: string;
  title: string;
  created_at: string;
}

export interface RolesTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  permissions_json: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  organization_id: string;
  email: string;
  first_name: string;
  last_name: string;
  role_name: string;
  preferred_language: string;
  timezone: string;
  user_model_json: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  user_id: string;
  secret_hash: string;
  role_name: string;
  expires_at: string;
  created_at: string;
}

export interface AgentsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface AgentVersionsTable {
  id: string;
  organization_id: string;
  agent_id: string;
  version: number;
  body_json: string;
  created_at: string;
}

export interface ContextGraphsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface ContextGraphVersionsTable {
  id: string;
  organization_id: string;
  graph_id: string;
  version: number;
  body_json: string;
  created_at: string;
}

export interface ServicesTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  agent_id: string;
  graph_id: string;
  is_active: number;
  tags_json: string;
  version_sets_json: string;
  created_at: string;
  updated_at: string;
}

export interface ConversationsTable {
  id: string;
  organization_id: string;
  user_id: string;
  service_id: string;
  version_set_name: string;
  is_finished: number;
  agent_state_json: string;
  tags_json: string;
  created_at: string;
  updated_at: string;
}

export interface InteractionsTable {
  id: string;
  organization_id: string;
  conversation_id: string;
  sequence: number;
  state_name: string;
  insights_json: string;
  created_at: string;
}

export interface MessagesTable {
  id: string;
  organization_id: string;
  conversation_id: string;
  interaction_id: string;
  sequence: number;
  sender_kind: string;
  sender_name: string;
  message_type: string;
  format: string;
  content: string;
  audio: Uint8Array | null;
  audio_mime_type: string | null;
  created_at: string;
}

export interface Database {
  organizations: OrganizationsTable;
  roles: RolesTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  agents: AgentsTable;
  agent_versions: AgentVersionsTable;
  context_graphs: ContextGraphsTable;
  context_graph_versions: ContextGraphVersionsTable;
  services: ServicesTable;
  conversations: ConversationsTable;
  interactions: InteractionsTable;
  messages: MessagesTable;
}
