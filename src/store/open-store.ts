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
import type { Database } from "./schema.js";
import { SqlStore } from "./sql-store.js";
import type { Store } from "./types.js";

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; otherwise a SQLite file `parley.sqlite` in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

function migrationsFor(binaryType: "blob" | "bytea"): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve<Record<string, Migration>>({ "001-initial": initialMigration(binaryType) }),
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
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: options.databaseUrl, max: 10 }) }),
    });
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
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(`Database migration failed: ${JSON.stringify(error)}`);
  }
  return new SqlStore(db, dialect, () => db.destroy());
}
