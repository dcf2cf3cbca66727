import type { Kysely, Migration } from "kysely";

/**
 * Indexes for the list and lookup queries: every list is scoped by organization and ordered by time,
 * conversations are found by user, API keys by user (deleting a user deletes them), messages by
 * interaction.
 */
export const listIndexesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const indexes: [name: string, table: string, columns: string[]][] = [
      ["users_org_created", "users", ["organization_id", "created_at"]],
      ["api_keys_org_user", "api_keys", ["organization_id", "user_id"]],
      ["agents_org_created", "agents", ["organization_id", "created_at"]],
      ["context_graphs_org_created", "context_graphs", ["organization_id", "created_at"]],
      ["services_org_created", "services", ["organization_id", "created_at"]],
      ["conversations_org_created", "conversations", ["organization_id", "created_at"]],
      ["interactions_conversation", "interactions", ["organization_id", "conversation_id"]],
      ["messages_org_conversation", "messages", ["organization_id", "conversation_id", "sequence"]],
      ["messages_interaction", "messages", ["interaction_id"]],
    ];
    for (const [name, table, columns] of indexes) {
      await db.schema.createIndex(name).on(table).columns(columns).execute();
    }
  },
};
