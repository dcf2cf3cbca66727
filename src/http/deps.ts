import type { Config } from "../config/config.js";
import type { Engines } from "../engines/registry.js";
import type { Store } from "../store/types.js";
import { SlidingWindowLimiter } from "./rate-limit.js";
import type { TokenService } from "./tokens.js";

/** Everything the HTTP layer needs, built once by the composition root. */
export interface AppDeps {
  config: Config;
  store: Store;
  tokens: TokenService;
  engines: Engines;
  /** Current time; injectable so tests can move the clock. */
  now: () => Date;
}

/** Per-process state shared by the routes: limiters and the conversations with a turn running. */
export interface AppState {
  interactionLimiter: SlidingWindowLimiter;
  signinFailureLimiter: SlidingWindowLimiter;
  busyConversations: Set<string>;
  /** Voice messages uploading or being worked on, per `organization:user`; entries at zero are removed. */
  voiceNotesInProgress: Map<string, number>;
}

export function createAppState(config: Config): AppState {
  return {
    interactionLimiter: new SlidingWindowLimiter(config.interactionsPerMinute, 60_000),
    signinFailureLimiter: new SlidingWindowLimiter(config.signinFailuresPerMinute, 60_000),
    busyConversations: new Set(),
    voiceNotesInProgress: new Map(),
  };
}
