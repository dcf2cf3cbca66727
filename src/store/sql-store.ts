import type { Kysely, Transaction } from "kysely";
import { newId } from "../domain/ids.js";
import { AppError } from "../lib/app-error.js";
import { conflictOnDuplicate } from "./db-errors.js";
import { runPage } from "./paging.js";
import {
  MESSAGE_SORT_KEYS,
  USER_SORT_KEYS,
  userConversationCount,
  userLastMessageTime,
  userMessageCount,
} from "./sort-keys.js";
import * as map from "./row-mappers.js";
import type { Database } from "./schema.js";
import type {
  ApiKey,
  Conversation,
  ConversationFilter,
  EntityVersion,
  Interaction,
  InteractionCommit,
  JsonObject,
  Message,
  MessageFilter,
  Organization,
  Page,
  PageRequest,
  Role,
  Service,
  Store,
  User,
  UserStats,
  VersionedEntity,
  VersionedKind,
} from "./types.js";

/** How often `addVersion` picks a new number after losing a race with another writer. */
const ADD_VERSION_ATTEMPTS = 5;

const VERSIONED_TABLES = {
  agent: { table: "agents", versions: "agent_versions", parent: "agent_id", label: "An agent" },
  context_graph: {
    table: "context_graphs",
    versions: "context_graph_versions",
    parent: "graph_id",
    label: "A context graph",
  },
} as const;

export class SqlStore implements Store {
  constructor(
    private readonly db: Kysely<Database> | Transaction<Database>,
    readonly dialect: "sqlite" | "postgres",
    private readonly onClose: () => Promise<void> = async () => {},
    private readonly versionCache: Map<string, EntityVersion> = new Map(),
  ) {}

  async createOrganization(org: Organization): Promise<void> {
    await conflictOnDuplicate("An organization with this id or name", () =>
      this.db
        .insertInto("organizations")
        .values({ id: org.id, name: org.name, title: org.title, created_at: org.createdAt })
        .execute(),
    );
  }

  async getOrganization(idOrName: string): Promise<Organization | undefined> {
    const row = await this.db
      .selectFrom("organizations")
      .selectAll()
      .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
      .executeTakeFirst();
    return row && { id: row.id, name: row.name, title: row.title, createdAt: row.created_at };
  }

  async upsertRole(role: Role): Promise<void> {
    const values = {
      id: role.id,
      organization_id: role.organizationId,
      name: role.name,
      description: role.description,
      permissions_json: JSON.stringify(role.permissions),
      created_at: new Date().toISOString(),
    };
    await this.db
      .insertInto("roles")
      .values(values)
      .onConflict((oc) =>
        oc.columns(["organization_id", "name"]).doUpdateSet({
          description: values.description,
          permissions_json: values.permissions_json,
        }),
      )
      .execute();
  }

  async getRole(orgId: string, name: string): Promise<Role | undefined> {
    const row = await this.db
      .selectFrom("roles")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row && map.toRole(row);
  }

  async listRoles(orgId: string): Promise<Role[]> {
    const rows = await this.db
      .selectFrom("roles")
      .selectAll()
      .where("organization_id", "=", orgId)
      .orderBy("name")
      .execute();
    return rows.map(map.toRole);
  }

  async createUser(user: User): Promise<void> {
    await conflictOnDuplicate("A user with this id or email", () =>
      this.db.insertInto("users").values(map.fromUser(user)).execute(),
    );
  }

  async getUser(orgId: string, userId: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("id", "=", userId)
      .executeTakeFirst();
    return row && map.toUser(row);
  }

  async findUserByEmail(orgId: string, email: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("email", "=", email)
      .executeTakeFirst();
    return row && map.toUser(row);
  }

  async listUsers(
    orgId: string,
    filter: { userIds?: string[]; emails?: string[] },
    page: PageRequest,
  ): Promise<Page<User>> {
    let query = this.db.selectFrom("users").selectAll().where("organization_id", "=", orgId);
    if (filter.userIds?.length) query = query.where("id", "in", filter.userIds);
    if (filter.emails?.length) query = query.where("email", "in", filter.emails);
    return runPage(query as never, page, USER_SORT_KEYS, ["created_at"], map.toUser);
  }

  async userStats(orgId: string, userId: string): Promise<UserStats | undefined> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => [
        userConversationCount(eb).as("num_conversations"),
        userMessageCount(eb).as("num_messages"),
        userLastMessageTime(eb).as("last_message_time"),
      ])
      .where("organization_id", "=", orgId)
      .where("id", "=", userId)
      .executeTakeFirst();
    return (
      row && {
        numConversations: Number(row.num_conversations),
        numMessages: Number(row.num_messages),
        lastMessageTime: row.last_message_time ?? null,
      }
    );
  }

  async updateUser(user: User): Promise<void> {
    const { id: _id, organization_id: _org, created_at: _created, ...changes } = map.fromUser(user);
    await conflictOnDuplicate("A user with this email", () =>
      this.db
        .updateTable("users")
        .set(changes)
        .where("organization_id", "=", user.organizationId)
        .where("id", "=", user.id)
        .execute(),
    );
  }

  async deleteUser(orgId: string, userId: string): Promise<boolean> {
    return this.inTransaction(async (db) => {
      const result = await db
        .deleteFrom("users")
        .where("organization_id", "=", orgId)
        .where("id", "=", userId)
        .executeTakeFirst();
      await db
        .deleteFrom("api_keys")
        .where("organization_id", "=", orgId)
        .where("user_id", "=", userId)
        .execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async createApiKey(key: ApiKey): Promise<void> {
    const values = {
      id: key.id,
      organization_id: key.organizationId,
      user_id: key.userId,
      secret_hash: key.secretHash,
      role_name: key.roleName,
      expires_at: key.expiresAt,
      created_at: key.createdAt,
    };
    await conflictOnDuplicate("An API key with this id", () =>
      this.db.insertInto("api_keys").values(values).execute(),
    );
  }

  async getApiKey(orgId: string, keyId: string): Promise<ApiKey | undefined> {
    const row = await this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("id", "=", keyId)
      .executeTakeFirst();
    return row && map.toApiKey(row);
  }

  async listApiKeys(orgId: string, page: PageRequest): Promise<Page<ApiKey>> {
    const query = this.db.selectFrom("api_keys").selectAll().where("organization_id", "=", orgId);
    return runPage(
      query as never,
      page,
      { created_at: "created_at", expires_at: "expires_at" },
      ["created_at"],
      map.toApiKey,
    );
  }

  async deleteApiKey(orgId: string, keyId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("api_keys")
      .where("organization_id", "=", orgId)
      .where("id", "=", keyId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async createVersioned(kind: VersionedKind, entity: VersionedEntity): Promise<void> {
    const values = {
      id: entity.id,
      organization_id: entity.organizationId,
      name: entity.name,
      description: entity.description,
      created_at: entity.createdAt,
    };
    await conflictOnDuplicate(`${VERSIONED_TABLES[kind].label} with this id`, () =>
      this.db.insertInto(VERSIONED_TABLES[kind].table).values(values).execute(),
    );
  }

  async getVersioned(kind: VersionedKind, orgId: string, id: string): Promise<VersionedEntity | undefined> {
    const row = await this.db
      .selectFrom(VERSIONED_TABLES[kind].table)
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toVersioned(row);
  }

  async listVersioned(
    kind: VersionedKind,
    orgId: string,
    filter: { ids?: string[] },
    page: PageRequest,
  ): Promise<Page<VersionedEntity>> {
    let query = this.db
      .selectFrom(VERSIONED_TABLES[kind].table)
      .selectAll()
      .where("organization_id", "=", orgId);
    if (filter.ids?.length) query = query.where("id", "in", filter.ids);
    return runPage(
      query as never,
      page,
      { created_at: "created_at", name: "name" },
      ["created_at"],
      toVersioned,
    );
  }

  async deleteVersioned(kind: VersionedKind, orgId: string, id: string): Promise<boolean> {
    const { table, versions, parent } = VERSIONED_TABLES[kind];
    for (const key of this.versionCache.keys()) {
      if (key.startsWith(`${kind}:${orgId}:${id}:`)) this.versionCache.delete(key);
    }
    return this.inTransaction(async (db) => {
      const result = await db
        .deleteFrom(table)
        .where("organization_id", "=", orgId)
        .where("id", "=", id)
        .executeTakeFirst();
      await db.deleteFrom(versions).where("organization_id", "=", orgId).where(parent, "=", id).execute();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async addVersion(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    body: JsonObject,
    createdAt: string,
  ): Promise<EntityVersion> {
    const { label, versions, parent } = VERSIONED_TABLES[kind];
    if ((await this.getVersioned(kind, orgId, parentId)) === undefined) {
      throw new AppError("not_found", `${label} with this id does not exist`);
    }
    // Two writers may pick the same next number; the loser retries with the number after the winner's.
    // Inside an outer transaction a failed insert aborts it (PostgreSQL), so there the conflict surfaces.
    const attempts = this.db.isTransaction ? 1 : ADD_VERSION_ATTEMPTS;
    for (let attempt = 1; ; attempt += 1) {
      const latest = await this.readVersion(kind, orgId, parentId, "latest");
      const version: EntityVersion = {
        id: newId(),
        organizationId: orgId,
        parentId,
        version: (latest?.version ?? 0) + 1,
        body,
        createdAt,
      };
      try {
        await conflictOnDuplicate(`Version ${version.version}`, () =>
          this.db
            .insertInto(versions)
            .values({
              id: version.id,
              organization_id: orgId,
              [parent]: parentId,
              version: version.version,
              body_json: JSON.stringify(body),
              created_at: createdAt,
            })
            .execute(),
        );
        return version;
      } catch (error) {
        if (!(error instanceof AppError && error.code === "conflict") || attempt >= attempts) throw error;
      }
    }
  }

  async getVersion(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    version: number | "latest",
  ): Promise<EntityVersion | undefined> {
    // Numbered versions never change, so every turn after the first reads them from memory.
    const cacheKey = `${kind}:${orgId}:${parentId}:${version}`;
    if (version !== "latest") {
      const cached = this.versionCache.get(cacheKey);
      if (cached !== undefined) return cached;
    }
    const found = await this.readVersion(kind, orgId, parentId, version);
    // A version read inside a transaction may still roll back, so only committed reads are cached.
    if (found !== undefined && version !== "latest" && !this.db.isTransaction) {
      this.versionCache.set(cacheKey, found);
    }
    return found;
  }

  private async readVersion(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    version: number | "latest",
  ): Promise<EntityVersion | undefined> {
    const { versions, parent } = VERSIONED_TABLES[kind];
    let query = this.db
      .selectFrom(versions)
      .selectAll()
      .where("organization_id", "=", orgId)
      .where(parent as never, "=", parentId as never);
    query = version === "latest" ? query.orderBy("version", "desc") : query.where("version", "=", version);
    const row = await query.limit(1).executeTakeFirst();
    return row && toVersion(row, parent);
  }

  async listVersions(
    kind: VersionedKind,
    orgId: string,
    parentId: string,
    page: PageRequest,
  ): Promise<Page<EntityVersion>> {
    const { versions, parent } = VERSIONED_TABLES[kind];
    const query = this.db
      .selectFrom(versions)
      .selectAll()
      .where("organization_id", "=", orgId)
      .where(parent as never, "=", parentId as never);
    return runPage(
      query as never,
      page,
      { version: "version", created_at: "created_at" },
      ["version"],
      (row) => toVersion(row as VersionRow, parent),
    );
  }

  async createService(service: Service): Promise<void> {
    await conflictOnDuplicate("A service with this id", () =>
      this.db.insertInto("services").values(map.fromService(service)).execute(),
    );
  }

  async getService(orgId: string, id: string): Promise<Service | undefined> {
    const row = await this.db
      .selectFrom("services")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && map.toService(row);
  }

  async listServices(
    orgId: string,
    filter: { ids?: string[]; isActive?: boolean },
    page: PageRequest,
  ): Promise<Page<Service>> {
    let query = this.db.selectFrom("services").selectAll().where("organization_id", "=", orgId);
    if (filter.ids?.length) query = query.where("id", "in", filter.ids);
    if (filter.isActive !== undefined) query = query.where("is_active", "=", filter.isActive ? 1 : 0);
    return runPage(
      query as never,
      page,
      { created_at: "created_at", updated_at: "updated_at", name: "name", is_active: "is_active" },
      ["created_at"],
      map.toService,
    );
  }

  async updateService(service: Service): Promise<void> {
    const { id: _id, organization_id: _org, created_at: _created, ...changes } = map.fromService(service);
    await this.db
      .updateTable("services")
      .set(changes)
      .where("organization_id", "=", service.organizationId)
      .where("id", "=", service.id)
      .execute();
  }

  async createConversation(c: Conversation): Promise<void> {
    const values = {
      id: c.id,
      organization_id: c.organizationId,
      user_id: c.userId,
      service_id: c.serviceId,
      version_set_name: c.versionSetName,
      is_finished: c.isFinished ? 1 : 0,
      agent_state_json: JSON.stringify(c.agentState),
      tags_json: JSON.stringify(c.tags),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
    };
    await conflictOnDuplicate("A conversation with this id", () =>
      this.db.insertInto("conversations").values(values).execute(),
    );
  }

  async getConversation(orgId: string, id: string): Promise<Conversation | undefined> {
    const row = await this.db
      .selectFrom("conversations")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && map.toConversation(row);
  }

  async findUnfinishedConversation(
    orgId: string,
    userId: string,
    serviceId: string,
  ): Promise<Conversation | undefined> {
    const row = await this.db
      .selectFrom("conversations")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("user_id", "=", userId)
      .where("service_id", "=", serviceId)
      .where("is_finished", "=", 0)
      .executeTakeFirst();
    return row && map.toConversation(row);
  }

  async listConversations(
    orgId: string,
    filter: ConversationFilter,
    page: PageRequest,
  ): Promise<Page<Conversation>> {
    let query = this.db.selectFrom("conversations").selectAll().where("organization_id", "=", orgId);
    if (filter.ids?.length) query = query.where("id", "in", filter.ids);
    if (filter.userIds?.length) query = query.where("user_id", "in", filter.userIds);
    if (filter.serviceIds?.length) query = query.where("service_id", "in", filter.serviceIds);
    if (filter.isFinished !== undefined) query = query.where("is_finished", "=", filter.isFinished ? 1 : 0);
    return runPage(
      query as never,
      page,
      { created_at: "created_at", updated_at: "updated_at", is_finished: "is_finished" },
      ["-created_at"],
      map.toConversation,
    );
  }

  async setConversationFinished(orgId: string, id: string, updatedAt: string): Promise<void> {
    await this.db
      .updateTable("conversations")
      .set({ is_finished: 1, updated_at: updatedAt })
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .execute();
  }

  async setConversationTags(
    orgId: string,
    id: string,
    tags: Record<string, string | null>,
    updatedAt: string,
  ): Promise<void> {
    await this.db
      .updateTable("conversations")
      .set({ tags_json: JSON.stringify(tags), updated_at: updatedAt })
      .where("organization_id", "=", orgId)
      .where("id", "=", id)
      .execute();
  }

  async deleteConversation(orgId: string, id: string): Promise<void> {
    await this.inTransaction(async (db) => {
      for (const table of ["messages", "interactions"] as const) {
        await db
          .deleteFrom(table)
          .where("organization_id", "=", orgId)
          .where("conversation_id", "=", id)
          .execute();
      }
      await db
        .deleteFrom("conversations")
        .where("organization_id", "=", orgId)
        .where("id", "=", id)
        .execute();
    });
  }

  async countFinishedConversations(orgId: string, userId: string, serviceId: string): Promise<number> {
    const row = await this.db
      .selectFrom("conversations")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("organization_id", "=", orgId)
      .where("user_id", "=", userId)
      .where("service_id", "=", serviceId)
      .where("is_finished", "=", 1)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async getInteraction(orgId: string, conversationId: string, id: string): Promise<Interaction | undefined> {
    const row = await this.db
      .selectFrom("interactions")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("conversation_id", "=", conversationId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && map.toInteraction(row);
  }

  async countInteractions(orgId: string, conversationId: string): Promise<number> {
    const row = await this.db
      .selectFrom("interactions")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("organization_id", "=", orgId)
      .where("conversation_id", "=", conversationId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async commitInteraction(orgId: string, commit: InteractionCommit): Promise<void> {
    const { interaction, messages, conversationUpdate } = commit;
    for (const m of messages) {
      if (m.conversationId !== interaction.conversationId || m.interactionId !== interaction.id) {
        throw new AppError("bad_request", "Every message of an interaction must belong to it");
      }
    }
    await this.inTransaction(async (db) => {
      await conflictOnDuplicate(`Interaction ${interaction.sequence} of this conversation`, () =>
        db
          .insertInto("interactions")
          .values({
            id: interaction.id,
            organization_id: orgId,
            conversation_id: interaction.conversationId,
            sequence: interaction.sequence,
            state_name: interaction.stateName,
            insights_json: JSON.stringify(interaction.insights),
            created_at: interaction.createdAt,
          })
          .execute(),
      );
      if (messages.length > 0) {
        await conflictOnDuplicate("A message with this id or sequence", () =>
          db
            .insertInto("messages")
            .values(messages.map((m) => map.fromMessage({ ...m, organizationId: orgId })))
            .execute(),
        );
      }
      // Scoped by organization: a conversation of another organization matches no row, and the
      // whole commit rolls back.
      const updated = await db
        .updateTable("conversations")
        .set({
          agent_state_json: JSON.stringify(conversationUpdate.agentState),
          is_finished: conversationUpdate.isFinished ? 1 : 0,
          updated_at: conversationUpdate.updatedAt,
        })
        .where("organization_id", "=", orgId)
        .where("id", "=", interaction.conversationId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        throw new AppError("not_found", "Conversation not found");
      }
    });
  }

  async getMessage(orgId: string, conversationId: string, id: string): Promise<Message | undefined> {
    const row = await this.db
      .selectFrom("messages")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("conversation_id", "=", conversationId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && map.toMessage(row);
  }

  async listMessages(
    orgId: string,
    conversationId: string,
    filter: MessageFilter,
    page: PageRequest,
  ): Promise<Page<Message>> {
    let query = this.db
      .selectFrom("messages")
      .selectAll()
      .where("organization_id", "=", orgId)
      .where("conversation_id", "=", conversationId);
    if (filter.ids?.length) query = query.where("id", "in", filter.ids);
    if (filter.messageTypes?.length) query = query.where("message_type", "in", filter.messageTypes);
    if (filter.interactionIds?.length) query = query.where("interaction_id", "in", filter.interactionIds);
    return runPage(query as never, page, MESSAGE_SORT_KEYS, ["created_at"], map.toMessage);
  }

  async conversationMessageStats(
    orgId: string,
    conversationId: string,
  ): Promise<{ count: number; lastMessage: string }> {
    const count = await this.db
      .selectFrom("messages")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("organization_id", "=", orgId)
      .where("conversation_id", "=", conversationId)
      .executeTakeFirstOrThrow();
    const last = await this.db
      .selectFrom("messages")
      .select("content")
      .where("organization_id", "=", orgId)
      .where("conversation_id", "=", conversationId)
      .orderBy("sequence", "desc")
      .limit(1)
      .executeTakeFirst();
    return { count: Number(count.count), lastMessage: last?.content ?? "" };
  }

  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db
      .transaction()
      .execute((trx) => work(new SqlStore(trx, this.dialect, async () => {}, this.versionCache)));
  }

  /** Runs `work` on this store's transaction, or on a new one when there is none yet. */
  private inTransaction<T>(work: (db: Kysely<Database> | Transaction<Database>) => Promise<T>): Promise<T> {
    return this.transaction((tx) => work((tx as SqlStore).db));
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

type VersionedRow = Database["agents"];
type VersionRow = Database["agent_versions"] & Partial<Database["context_graph_versions"]>;

function toVersioned(row: VersionedRow): VersionedEntity {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
  };
}

function toVersion(row: VersionRow, parentColumn: string): EntityVersion {
  return {
    id: row.id,
    organizationId: row.organization_id,
    parentId: String((row as unknown as Record<string, unknown>)[parentColumn]),
    version: Number(row.version),
    body: map.parseJson(row.body_json),
    createdAt: row.created_at,
  };
}
