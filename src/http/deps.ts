import type { Config } from "../config/config.js";
import type { ConversationService } from "../conversation/service.js";
import type { TurnMetrics } from "../observability/metrics.js";
import type { Engines } from "../engines/registry.js";
import type { Store } from "../store/types.js";
import { SlidingWindowLimiter } from "../lib/rate-limit.js";
import type { TokenService } from "./tokens.js";
import { API_SCHEMAS } from "./api-spec/api-schemas.generated.js";
import { OperationRateLimits } from "./api-spec/operation-limits.js";
import { ApiRequestValidator } from "./api-spec/request-validator.js";

/** Everything the HTTP layer needs, built once by the composition root. */
export interface AppDeps {
  config: Config;
  store: Store;
  tokens: TokenService;
  engines: Engines;
  conversations: ConversationService;
  metrics: TurnMetrics;
  /** Current time; injectable so tests can move the clock. */
  now: () => Date;
}

/**
 * Per-process state shared by the routes: the sign-in failure limiter, the per-operation rate limits,
 * and the spec's request schemas, compiled.
 */
export interface AppState {
  signinFailureLimiter: SlidingWindowLimiter;
  operationLimits: OperationRateLimits;
  api: ApiRequestValidator;
}

let compiledApi: ApiRequestValidator | undefined;

/** The request validator, compiled on first use and shared (the schemas are the same for every app). */
export function apiRequestValidator(): ApiRequestValidator {
  compiledApi ??= new ApiRequestValidator(API_SCHEMAS);
  return compiledApi;
}

export function createAppState(config: Config): AppState {
  return {
    signinFailureLimiter: new SlidingWindowLimiter(config.signinFailuresPerMinute, 60_000),
    operationLimits: new OperationRateLimits(API_SCHEMAS.operations, config.rateLimits),
    api: apiRequestValidator(),
  };
}
