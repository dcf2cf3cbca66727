import { AppError } from "../lib/app-error.js";

/** SQLite (better-sqlite3) and PostgreSQL (`pg`, SQLSTATE 23505) report a duplicate key differently. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = error.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** SQLite could not take a lock another connection holds (SQLITE_BUSY and its extended codes). */
export function isSqliteBusy(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("SQLITE_BUSY")
  );
}

/**
 * Runs a write and turns a duplicate key into a `conflict` AppError that names `what` (never the values,
 * which may be user data). Other failures pass through unchanged.
 */
export async function conflictOnDuplicate<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("conflict", `${what} already exists`, { cause: error });
    throw error;
  }
}
