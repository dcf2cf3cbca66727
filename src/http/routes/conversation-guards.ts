import { AppError } from "../../lib/app-error.js";
import { compileUserPattern, type UserPattern, UserPatternError } from "../../lib/user-pattern.js";
import type { ActionFilter } from "../../protocol/events.js";
import type { Principal } from "../auth.js";
import type { AppDeps } from "../deps.js";
import { validationError } from "../request-helpers.js";

export function ensureNotInMaintenance(deps: AppDeps): void {
  if (deps.config.maintenanceMode) {
    throw new AppError("service_unavailable", "The service is going through temporary maintenance");
  }
}

export function actionFilterFor(principal: Principal, query: Record<string, unknown>): ActionFilter {
  const raw = query.current_agent_action_type;
  const source = typeof raw === "string" ? raw : "^.*$";
  let typePattern: UserPattern;
  try {
    // Linear-time matching: a caller's pattern must not hold the event loop (see compileUserPattern).
    typePattern = compileUserPattern(source);
  } catch (error) {
    if (!(error instanceof UserPatternError)) throw error;
    throw validationError(["query", "current_agent_action_type"], error.message);
  }
  return { allowed: principal.permissions.has("Conversation:GetInteractionInsights"), typePattern };
}
