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
import type { Store } from "./types.js";

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; otherwise a SQLite file `parley.sqlite` in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /**
   * Called with errors no query is waiting for (a pooled PostgreSQL connection that dropped while idle;
   * the pool replaces it). Default: `process.emitWarning`.
   */
  onBackgroundError?: ((error: Error) => void) | undefined;
}

/** How often a SQLite migration is retried when another process holds the write lock. */
const SQLITE_MIGRATION_ATTEMPTS = 5;

function isSqliteBusy(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("SQLITE_BUSY")
  );
}

function migrationsFor(binaryType: "blob" | "bytea"): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve<Record<string, Migration>>({
        "001-initial": initialMigration(binaryType),
        "002-list-indexes": listIndexesMigration,
      }),
  };
}

/** Opens the configured database and brings its schema up to date (safe when several processes start). */
export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: "sqlite" | "postgres";
  if (options.databaseUrl !== undefined) {
    const { default: pg } = await import("pg");
    // Return bytea as Buffer and keep integers as numbers.
    pg.types.setTypeParser(20, (value: string) => Number(value));
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    const onBackgroundError = options.onBackgroundError ?? ((error: Error) => process.emitWarning(error));
    pool.on("error", onBackgroundError);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    dialect = "postgres";
  } else {
    const { default: SqliteDatabase } = await import("better-sqlite3");
    fs.mkdirSync(options.dataDir, { recursive: true });
    const sqlite = new SqliteDatabase(path.join(options.dataDir, "parley.sqlite"));
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("synchronous = NORMAL");
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    dialect = "sqlite";
  }
  const migrator = new Migrator({ db, provider: migrationsFor(dialect === "postgres" ? "bytea" : "blob") });
  // PostgreSQL serializes concurrent migrators with an advisory lock. SQLite has no such lock across
  // processes: a migrator that loses the race for the write lock fails with SQLITE_BUSY and, run again,
  // finds the migrations done.
  const attempts = dialect === "sqlite" ? SQLITE_MIGRATION_ATTEMPTS : 1;
  let error: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    ({ error } = await migrator.migrateToLatest());
    if (!isSqliteBusy(error)) break;
  }
  if (error !== undefined) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(`Database migration failed: ${JSON.stringify(error)}`);
  }
  return new SqlStore(db, dialect, () => db.destroy());
}
