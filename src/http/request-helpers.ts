import type { AppError } from "../lib/app-error.js";
import { validationFailure } from "./api-spec/request-validator.js";
import type { PageRequest } from "../store/types.js";

/**
 * The page a validated list query asks for: `limit` and `continuation_token` (the spec's defaults and
 * bounds per operation, filled and checked by the validator) and the `sort_by` list.
 */
export function pageOf(query: Record<string, unknown>): PageRequest {
  return {
    limit: query.limit as number,
    continuationToken: query.continuation_token as number,
    sortBy: (query.sort_by as string[] | undefined) ?? [],
  };
}

/** A 422 shaped as the API's validation errors, for one issue at `location`. */
export function validationError(location: (string | number)[], message: string): AppError {
  return validationFailure([{ loc: location, msg: message, type: "value_error" }]);
}
