import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATION_LOCK_FILE, withSqliteMigrationLock } from "./sqlite-migration-lock.js";

describe("withSqliteMigrationLock", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-lock-"));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("lets one holder in at a time, also within one process", async () => {
    const events: string[] = [];
    const holder = (name: string) =>
      withSqliteMigrationLock(BetterSqlite, dataDir, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`${name} out`);
        return name;
      });
    expect(await Promise.all([holder("a"), holder("b"), holder("c")])).toEqual(["a", "b", "c"]);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace(" in", "")).toBe(events[i + 1]?.replace(" out", ""));
    }
  });

  it("releases the lock when the work throws", async () => {
    await expect(
      withSqliteMigrationLock(BetterSqlite, dataDir, () => Promise.reject(new Error("migration broke"))),
    ).rejects.toThrow("migration broke");
    expect(await withSqliteMigrationLock(BetterSqlite, dataDir, () => Promise.resolve("next"))).toBe("next");
  });

  it("gives up with a typed error while someone else holds it, and stops when aborted", async () => {
    const other = new BetterSqlite(path.join(dataDir, MIGRATION_LOCK_FILE));
    other.exec("BEGIN EXCLUSIVE");
    try {
      await expect(
        withSqliteMigrationLock(BetterSqlite, dataDir, () => Promise.resolve(1), { timeoutMs: 0 }),
      ).rejects.toMatchObject({ code: "service_unavailable" });
      const controller = new AbortController();
      const waiting = withSqliteMigrationLock(BetterSqlite, dataDir, () => Promise.resolve(1), {
        signal: controller.signal,
      });
      controller.abort(new Error("shutting down"));
      await expect(waiting).rejects.toThrow("shutting down");
    } finally {
      other.exec("COMMIT");
      other.close();
    }
  });
});
