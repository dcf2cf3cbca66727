import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";

export const storeKinds = ["sqlite", "postgres"] as const;
export type StoreKind = (typeof storeKinds)[number];

/** The local PostgreSQL server the tests use (trust auth); override with PARLEY_TEST_PG_URL. */
const adminUrl = process.env.PARLEY_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  kind: StoreKind;
  dataDir: string;
  databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

/** Makes an empty database: a temp dir for SQLite, or a fresh `parley_test_*` database on PostgreSQL. */
export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-test-"));
  if (kind === "sqlite") {
    return {
      kind,
      dataDir,
      databaseUrl: undefined,
      cleanup: () => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const name = `parley_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    dataDir,
    databaseUrl: url.toString(),
    async cleanup() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestStore {
  store: Store;
  database: TestDatabase;
  /** The PostgreSQL database's URL; undefined on SQLite. Pass it on to start a server on the same data. */
  databaseUrl: string | undefined;
  /** The temp data dir (holds the SQLite file). */
  dataDir: string;
  /** Closes the store, then drops the database and removes the data dir. */
  cleanup(): Promise<void>;
}

/** An open store on a fresh database of the given kind. */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  const database = await createTestDatabase(kind);
  const store = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
  return {
    store,
    database,
    databaseUrl: database.databaseUrl,
    dataDir: database.dataDir,
    async cleanup() {
      await store.close();
      await database.cleanup();
    },
  };
}
