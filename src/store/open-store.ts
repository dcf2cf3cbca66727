import fs from "node:fs";
import path from "node:path";
import {
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
} from "kysely";
import { initialMigration } from "./migrations/001-initial.js";
import { listIndexesMigration } from "./migrations/002-list-indexes.js";
import type { Database } from "./schema.js";
import { SqlStore } from "./sql-store.js";
import { withSqliteMigrationLock } from "./sqlite-migration-lock.js";
import type { Store } from "./types.js";

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; otherwise a SQLite file `parley.sqlite` in `dataDir`. */
  databaseUrl?: string | undefined;
  /** Directory of the SQLite file (created when missing). */
  dataDir: string;
  /**
   * Called with errors no query is waiting for (a pooled PostgreSQL connection that dropped while idle;
   * the pool replaces it). Default: `process.emitWarning`.
   */
  onBackgroundError?: ((error: Error) => void) | undefined;
  /** Aborts opening: waiting for another process's SQLite migration stops. */
  signal?: AbortSignal | undefined;
}

/** The SQLite database file inside the data dir. */
export const SQLITE_FILE_NAME = "parley.sqlite";

function migrationsFor(binaryType: "blob" | "bytea"): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve<Record<string, Migration>>({
        "001-initial": initialMigration(binaryType),
        "002-list-indexes": listIndexesMigration,
      }),
  };
}

async function migrate(db: Kysely<Database>, binaryType: "blob" | "bytea"): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationsFor(binaryType) }).migrateToLatest();
  if (error !== undefined) {
    throw error instanceof Error ? error : new Error(`Database migration failed: ${JSON.stringify(error)}`);
  }
}

/**
 * Opens the configured database and brings its schema up to date. Safe when several processes start
 * at once: PostgreSQL migrations run under Kysely's advisory lock, SQLite ones under a lock file.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  options.signal?.throwIfAborted();
  if (options.databaseUrl !== undefined) {
    const { default: pg } = await import("pg");
    // Counts come back as int8; keep them numbers. bytea already arrives as a Buffer.
    pg.types.setTypeParser(20, (value: string) => Number(value));
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    pool.on("error", options.onBackgroundError ?? ((error: Error) => process.emitWarning(error)));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      await migrate(db, "bytea");
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return new SqlStore(db, "postgres", () => db.destroy());
  }

  const { default: SqliteDatabase } = await import("better-sqlite3");
  fs.mkdirSync(options.dataDir, { recursive: true });
  const sqlite = new SqliteDatabase(path.join(options.dataDir, SQLITE_FILE_NAME));
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("synchronous = NORMAL");
    await withSqliteMigrationLock(SqliteDatabase, options.dataDir, () => migrate(db, "blob"), {
      signal: options.signal,
    });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new SqlStore(db, "sqlite", () => db.destroy());
}
