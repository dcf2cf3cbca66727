import type { ApiKey, Organization, Role, User, UserStats } from "../domain/identity.js";
import type { EntityVersion, Service, VersionedEntity } from "../domain/catalog.js";
import type { Conversation, Interaction, Message } from "../domain/conversation.js";
import type { JsonObject } from "../domain/json.js";
import type { AgentConversationState } from "../domain/agent.js";

export type { ApiKey, Organization, Role, User, UserStats } from "../domain/identity.js";
export type { EntityVersion, Service, VersionSet, VersionedEntity } from "../domain/catalog.js";
export type { Conversation, Interaction, Message, MessageType } from "../domain/conversation.js";
export type { JsonObject } from "../domain/json.js";

/**
 * Paging over a list. Paging is by offset: `continuationToken` is the number of rows before the page
 * (the API's integer token; 0 for the first page). A list method throws AppError `unprocessable` for a
 * limit outside 1..1000, a negative token, or a sort field the list does not support.
 */
export interface PageRequest {
  /** Most items on the page, 1..1000. */
  limit: number;
  continuationToken: number;
  /**
   * API field names with `+` (ascending, also a leading space: an unencoded `+` in a query string) or
   * `-` (descending) prefix, e.g. `-created_at`; earlier fields win, later ones break ties. Empty: the
   * list's default order.
   */
  sortBy: string[];
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  continuationToken: number | null;
}

export interface ConversationFilter {
  ids?: string[];
  userIds?: string[];
  serviceIds?: string[];
  isFinished?: boolean;
}

export interface MessageFilter {
  ids?: string[];
  messageTypes?: string[];
  interactionIds?: string[];
}

/** The whole of one finished turn, written atomically by `commitInteraction`. */
export interface InteractionCommit {
  interaction: Interaction;
  /** Messages of the turn in order (external events, the user message, the agent message). */
  messages: Message[];
  conversationUpdate: { agentState: AgentConversationState; isFinished: boolean; updatedAt: string };
}

/**
 * Persistence. Every method that reads or writes org data takes the organization id, so no call can
 * reach another organization's rows.
 */
export interface Store {
  readonly dialect: "sqlite" | "postgres";

  createOrganization(org: Organization): Promise<void>;
  getOrganization(idOrName: string): Promise<Organization | undefined>;

  upsertRole(role: Role): Promise<void>;
  getRole(orgId: string, name: string): Promise<Role | undefined>;
  listRoles(orgId: string): Promise<Role[]>;

  createUser(user: User): Promise<void>;
  getUser(orgId: string, userId: string): Promise<User | undefined>;
  findUserByEmail(orgId: string, email: string): Promise<User | undefined>;
  listUsers(
    orgId: string,
    filter: { userIds?: string[]; emails?: string[] },
    page: PageRequest,
  ): Promise<Page<User>>;
  /** The user's conversation and message counts; undefined when the user is not in the organization. */
  userStats(orgId: string, userId: string): Promise<UserStats | undefined>;
  updateUser(user: User): Promise<void>;
  deleteUser(orgId: string, userId: string): Promise<boolean>;

  createApiKey(key: ApiKey): Promise<void>;
  getApiKey(orgId: string, keyId: string): Promise<ApiKey | undefined>;
  listApiKeys(orgId: string, page: PageRequest): Promise<Page<ApiKey>>;
  deleteApiKey(orgId: string, keyId: string): Promise<boolean>;

  createVersioned(kind: VersionedKind, entity: VersionedEntity): Promise<void>;
  getVersioned(kind: VersionedKind, orgId: string, id: string): Promise<VersionedEntity | undefined>;
  listVersioned(
    kind: VersionedKind,
    orgId: string,
    filter: { ids?: string[] },
    page: PageRequest,
  ): Promise<Page<VersionedEntity>>;
  deleteVersioned(kind: VersionedKind, orgId: string, id: string): Promise<boolean>;
  /** Adds the next version (1, 2, ...) and returns it. */
  addVersion(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    body: JsonObject,
    createdAt: string,
  ): Promise<EntityVersion>;
  getVersion(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    version: number | "latest",
  ): Promise<EntityVersion | undefined>;
  listVersions(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    page: PageRequest,
  ): Promise<Page<EntityVersion>>;

  createService(service: Service): Promise<void>;
  getService(orgId: string, id: string): Promise<Service | undefined>;
  listServices(
    orgId: string,
    filter: { ids?: string[]; isActive?: boolean },
    page: PageRequest,
  ): Promise<Page<Service>>;
  updateService(service: Service): Promise<void>;

  createConversation(conversation: Conversation): Promise<void>;
  getConversation(orgId: string, id: string): Promise<Conversation | undefined>;
  findUnfinishedConversation(
    orgId: string,
    userId: string,
    serviceId: string,
  ): Promise<Conversation | undefined>;
  listConversations(
    orgId: string,
    filter: ConversationFilter,
    page: PageRequest,
  ): Promise<Page<Conversation>>;
  setConversationFinished(orgId: string, id: string, updatedAt: string): Promise<void>;
  setConversationTags(
    orgId: string,
    id: string,
    tags: Record<string, string | null>,
    updatedAt: string,
  ): Promise<void>;
  deleteConversation(orgId: string, id: string): Promise<void>;
  countFinishedConversations(orgId: string, userId: string, serviceId: string): Promise<number>;

  getInteraction(orgId: string, conversationId: string, id: string): Promise<Interaction | undefined>;
  countInteractions(orgId: string, conversationId: string): Promise<number>;
  commitInteraction(orgId: string, commit: InteractionCommit): Promise<void>;

  getMessage(orgId: string, conversationId: string, id: string): Promise<Message | undefined>;
  listMessages(
    orgId: string,
    conversationId: string,
    filter: MessageFilter,
    page: PageRequest,
  ): Promise<Page<Message>>;
  conversationMessageStats(
    orgId: string,
    conversationId: string,
  ): Promise<{ count: number; lastMessage: string }>;

  /** Runs `work` in one database transaction: everything it writes lands, or nothing does. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type VersionedKind = "agent" | "context_graph";
