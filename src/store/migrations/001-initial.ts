import { type Kysely, type Migration, sql } from "kysely";

/** Builds the initial schema; `binaryType` differs per dialect (SQLite `blob`, PostgreSQL `bytea`). */
export function initialMigration(binaryType: "blob" | "bytea"): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const id = (name: string) => name;
      await db.schema
        .createTable("organizations")
        .addColumn(id("id"), "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("roles")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("permissions_json", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("roles_org_name", ["organization_id", "name"])
        .execute();
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("first_name", "text", (c) => c.notNull())
        .addColumn("last_name", "text", (c) => c.notNull())
        .addColumn("role_name", "text", (c) => c.notNull())
        .addColumn("preferred_language", "text", (c) => c.notNull())
        .addColumn("timezone", "text", (c) => c.notNull())
        .addColumn("user_model_json", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("users_org_email", ["organization_id", "email"])
        .execute();
      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("role_name", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      for (const table of ["agents", "context_graphs"]) {
        await db.schema
          .createTable(table)
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("organization_id", "text", (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
      }
      for (const [table, parent] of [
        ["agent_versions", "agent_id"],
        ["context_graph_versions", "graph_id"],
      ] as const) {
        await db.schema
          .createTable(table)
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("organization_id", "text", (c) => c.notNull())
          .addColumn(parent, "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("body_json", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addUniqueConstraint(`${table}_parent_version`, [parent, "version"])
          .execute();
      }
      await db.schema
        .createTable("services")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("graph_id", "text", (c) => c.notNull())
        .addColumn("is_active", "integer", (c) => c.notNull())
        .addColumn("tags_json", "text", (c) => c.notNull())
        .addColumn("version_sets_json", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("conversations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("version_set_name", "text", (c) => c.notNull())
        .addColumn("is_finished", "integer", (c) => c.notNull())
        .addColumn("agent_state_json", "text", (c) => c.notNull())
        .addColumn("tags_json", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("conversations_org_user_service")
        .on("conversations")
        .columns(["organization_id", "user_id", "service_id", "is_finished"])
        .execute();
      await db.schema
        .createTable("interactions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("sequence", "integer", (c) => c.notNull())
        .addColumn("state_name", "text", (c) => c.notNull())
        .addColumn("insights_json", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("interactions_conversation_sequence", ["conversation_id", "sequence"])
        .execute();
      await db.schema
        .createTable("messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("interaction_id", "text", (c) => c.notNull())
        .addColumn("sequence", "integer", (c) => c.notNull())
        .addColumn("sender_kind", "text", (c) => c.notNull())
        .addColumn("sender_name", "text", (c) => c.notNull())
        .addColumn("message_type", "text", (c) => c.notNull())
        .addColumn("format", "text", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("audio", sql.raw(binaryType))
        .addColumn("audio_mime_type", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("messages_conversation_sequence", ["conversation_id", "sequence"])
        .execute();
    },
  };
}
