import type { Expression, ExpressionBuilder, SelectQueryBuilder } from "kysely";
import { AppError } from "../lib/app-error.js";
import type { Database } from "./schema.js";
import type { Page, PageRequest } from "./types.js";

/** Largest page a list method returns; the API caps its `limit` parameters well below this. */
export const MAX_PAGE_LIMIT = 1000;

/** What an API sort field orders by: a column of the listed table, or an expression (a subquery). */
export type SortKey = string | ((eb: ExpressionBuilder<Database, keyof Database>) => Expression<unknown>);

export interface SortField {
  key: SortKey;
  descending: boolean;
}

function invalid(field: string, message: string): AppError {
  return new AppError("unprocessable", `${field}: ${message}`, {
    detail: [{ loc: ["query", field], msg: message, type: "value_error" }],
  });
}

/** Rejects a page request the database could not run (limit 1..MAX_PAGE_LIMIT, offset ≥ 0). */
export function checkPageRequest(page: PageRequest): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE_LIMIT) {
    throw invalid("limit", `must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  if (!Number.isSafeInteger(page.continuationToken) || page.continuationToken < 0) {
    throw invalid("continuation_token", "must be a non-negative integer");
  }
}

/**
 * Resolves `sortBy` entries (`+field`, `-field` or `field`) against the fields a list supports. A `+` that
 * arrived unencoded in a query string decodes to a space, so a leading space also means ascending.
 * An unsupported field is a 422, naming the supported ones.
 */
export function resolveSortFields(sortBy: string[], sortable: Record<string, SortKey>): SortField[] {
  const fields: SortField[] = [];
  for (const entry of sortBy) {
    const trimmed = entry.trim();
    if (trimmed === "") continue;
    const descending = trimmed.startsWith("-");
    const name = trimmed.replace(/^[+-]/, "");
    const key = Object.hasOwn(sortable, name) ? sortable[name] : undefined;
    if (key === undefined) {
      throw invalid("sort_by", `unsupported field "${name}"; supported: ${Object.keys(sortable).join(", ")}`);
    }
    fields.push({ key, descending });
  }
  return fields;
}

/**
 * Runs one page of a list query. Paging is by offset: the continuation token is the number of rows
 * before the page (the API's integer token), so a row inserted meanwhile may shift the next page by one.
 * One row more than the limit is fetched to know whether another page exists; rows with equal sort keys
 * are ordered by id so pages never overlap.
 */
export async function runPage<R, T>(
  query: SelectQueryBuilder<Database, keyof Database, R>,
  page: PageRequest,
  sortable: Record<string, SortKey>,
  defaultSort: string[],
  toItem: (row: R) => T,
): Promise<Page<T>> {
  checkPageRequest(page);
  const requested = resolveSortFields(page.sortBy, sortable);
  const fields = requested.length > 0 ? requested : resolveSortFields(defaultSort, sortable);
  let sorted = query;
  for (const field of fields) {
    sorted = sorted.orderBy(field.key as never, field.descending ? "desc" : "asc");
  }
  const rows = await sorted
    .orderBy("id" as never)
    .limit(page.limit + 1)
    .offset(page.continuationToken)
    .execute();
  const hasMore = rows.length > page.limit;
  return {
    items: rows.slice(0, page.limit).map(toItem),
    hasMore,
    continuationToken: hasMore ? page.continuationToken + page.limit : null,
  };
}
