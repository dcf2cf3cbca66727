import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import BetterSqlite from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import { openStore } from "../../src/store/open-store.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../helpers/store-fixtures.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.resolve(here, "../../node_modules/.bin/tsx");
const openStoreProcess = path.join(here, "open-store-process.ts");

async function appliedMigrations(database: TestDatabase): Promise<string[]> {
  if (database.databaseUrl === undefined) {
    const sqlite = new BetterSqlite(path.join(database.dataDir, "parley.sqlite"), { readonly: true });
    try {
      const rows = sqlite.prepare("select name from kysely_migration order by name").all() as {
        name: string;
      }[];
      return rows.map((r) => r.name);
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: database.databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>("select name from kysely_migration order by name");
    return result.rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function organizationCount(database: TestDatabase): Promise<number> {
  const store = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
  try {
    // Organizations have no list method; count the ones the processes wrote through a raw query instead.
    if (database.databaseUrl === undefined) {
      const sqlite = new BetterSqlite(path.join(database.dataDir, "parley.sqlite"), { readonly: true });
      try {
        return (sqlite.prepare("select count(*) as n from organizations").get() as { n: number }).n;
      } finally {
        sqlite.close();
      }
    }
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      return Number(
        (await client.query<{ n: string }>("select count(*) as n from organizations")).rows[0]?.n,
      );
    } finally {
      await client.end();
    }
  } finally {
    await store.close();
  }
}

describe.each(storeKinds)("migrations on %s", (kind) => {
  it("run once when three processes open the same empty database at the same time", async () => {
    const database = await createTestDatabase(kind);
    try {
      const args = [openStoreProcess, database.dataDir, database.databaseUrl ?? ""];
      await Promise.all([1, 2, 3].map(() => run(tsx, args, { cwd: path.resolve(here, "../..") })));
      expect(await appliedMigrations(database)).toEqual(["001-initial", "002-list-indexes"]);
      expect(await organizationCount(database)).toBe(3);
    } finally {
      await database.cleanup();
    }
  });

  it("are idempotent: reopening keeps the data and applies nothing twice", async () => {
    const database = await createTestDatabase(kind);
    try {
      const first = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      const orgId = newId();
      await first.createOrganization({
        id: orgId,
        name: orgId,
        title: "kept",
        createdAt: new Date().toISOString(),
      });
      await first.close();
      const again = await Promise.all(
        [1, 2].map(() => openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir })),
      );
      expect((await again[1]!.getOrganization(orgId))?.title).toBe("kept");
      await Promise.all(again.map((s) => s.close()));
      expect(await appliedMigrations(database)).toEqual(["001-initial", "002-list-indexes"]);
    } finally {
      await database.cleanup();
    }
  });
});

describe("the SQLite store", () => {
  it("keeps its file in the data dir in WAL mode", async () => {
    const database = await createTestDatabase("sqlite");
    try {
      const store = await openStore({ dataDir: database.dataDir });
      await store.close();
      const sqlite = new BetterSqlite(path.join(database.dataDir, "parley.sqlite"));
      try {
        expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
      } finally {
        sqlite.close();
      }
    } finally {
      await database.cleanup();
    }
  });
});
