import type { Config } from "../config/config.js";
import type { ConversationService } from "../conversation/service.js";
import type { TurnMetrics } from "../observability/metrics.js";
import type { Engines } from "../engines/registry.js";
import type { Store } from "../store/types.js";
import { SlidingWindowLimiter } from "../lib/rate-limit.js";
import type { TokenService } from "./tokens.js";

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

/** Per-process state shared by the routes: the sign-in failure limiter. */
export interface AppState {
  signinFailureLimiter: SlidingWindowLimiter;
}

export function createAppState(config: Config): AppState {
  return {
    signinFailureLimiter: new SlidingWindowLimiter(config.signinFailuresPerMinute, 60_000),
  };
}
