import { AppError } from "../lib/app-error.js";
import { ID_PATTERN } from "../domain/ids.js";
import type { PageRequest } from "../store/types.js";

type Query = Record<string, unknown>;

/** A query parameter that may be repeated, as a list. */
export function listParam(query: Query, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function idListParam(query: Query, name: string): string[] {
  const values = listParam(query, name);
  for (const value of values) {
    if (!ID_PATTERN.test(value)) throw validationError(["query", name], "must be a 24-character hex id");
  }
  return values;
}

export function booleanParam(query: Query, name: string): boolean | undefined {
  const value = query[name];
  if (value === undefined || value === "" || value === "null") return undefined;
  if (value === "true" || value === true) return true;
  if (value === "false" || value === false) return false;
  throw validationError(["query", name], "must be true or false");
}

function integerParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const value = query[name];
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw validationError(["query", name], `must be an integer from ${min} to ${max}`);
  }
  return parsed;
}

/** `limit` (1..100, default 50), `continuation_token` (offset, default 0) and `sort_by` list. */
export function pageParams(query: Query, defaultLimit = 50): PageRequest {
  return {
    limit: integerParam(query, "limit", defaultLimit, 1, 100),
    continuationToken: integerParam(query, "continuation_token", 0, 0, Number.MAX_SAFE_INTEGER),
    sortBy: listParam(query, "sort_by"),
  };
}

export function requireId(value: string, location: string[]): string {
  if (!ID_PATTERN.test(value)) throw validationError(location, "must be a 24-character hex id");
  return value;
}

/** A 422 shaped as the API's validation errors: `{ detail: [{ loc, msg, type }] }`. */
export function validationError(location: (string | number)[], message: string): AppError {
  return new AppError("unprocessable", `${location.join(".")}: ${message}`, {
    detail: [{ loc: location, msg: message, type: "value_error" }],
  });
}

/** A body or query value as text: strings pass, numbers and booleans are printed, anything else is "". */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}
