import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type BetterSqlite from "better-sqlite3";
import { AppError } from "../lib/app-error.js";
import { isSqliteBusy } from "./db-errors.js";

/** Options of {@link withSqliteMigrationLock}. */
export interface SqliteMigrationLockOptions {
  /** How long to wait for another process's migration, in milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** Pause between attempts to take the lock, in milliseconds. Default 25. */
  pollIntervalMs?: number;
  signal?: AbortSignal | undefined;
}

/** The lock file beside the database; it holds no data. */
export const MIGRATION_LOCK_FILE = "parley.sqlite.migration-lock";

/**
 * Runs `work` while holding an exclusive lock that every Parley process (and every store in this one)
 * opening the same data dir takes before migrating. Kysely runs SQLite migrations outside a transaction
 * (SQLite DDL is not transactional there), so without this two processes starting at once would both
 * create the tables. The lock is an exclusive transaction on a separate small SQLite file: the operating
 * system releases it if the holder dies. Waiting polls without blocking the event loop, because a
 * blocking wait would stall the holder when it is in the same process.
 */
export async function withSqliteMigrationLock<T>(
  Database: typeof BetterSqlite,
  dataDir: string,
  work: () => Promise<T>,
  options: SqliteMigrationLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  const lock = new Database(path.join(dataDir, MIGRATION_LOCK_FILE), { timeout: 0 });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        lock.exec("BEGIN EXCLUSIVE");
        break;
      } catch (error) {
        if (!isSqliteBusy(error)) throw error;
        if (Date.now() >= deadline) {
          throw new AppError(
            "service_unavailable",
            "Another process kept the database migration lock too long",
          );
        }
        // An abort during the pause surfaces as the signal's own reason, as at the top of the loop.
        await sleep(pollIntervalMs, undefined, { signal: options.signal }).catch((sleepError: unknown) => {
          options.signal?.throwIfAborted();
          throw sleepError;
        });
      }
    }
    try {
      return await work();
    } finally {
      lock.exec("COMMIT");
    }
  } finally {
    lock.close();
  }
}
