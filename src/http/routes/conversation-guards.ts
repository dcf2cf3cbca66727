import { AppError } from "../../lib/app-error.js";
import type { ActionFilter } from "../../protocol/events.js";
import type { Principal } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { validationError } from "../request-helpers.js";

export function ensureNotInMaintenance(deps: AppDeps): void {
  if (deps.config.maintenanceMode) {
    throw new AppError("service_unavailable", "The service is going through temporary maintenance");
  }
}

/** Counts one interaction for the user; 429 past the configured interactions per minute. */
export function countInteraction(state: AppState, principal: Principal): void {
  if (!state.interactionLimiter.tryHit(`${principal.organization.id}:${principal.user.id}`)) {
    throw new AppError("rate_limited", "Too many interactions; try again in a minute");
  }
}

export function actionFilterFor(principal: Principal, query: Record<string, unknown>): ActionFilter {
  const raw = query.current_agent_action_type;
  const source = typeof raw === "string" ? raw : "^.*$";
  let typePattern: RegExp;
  try {
    typePattern = new RegExp(source);
  } catch {
    throw validationError(["query", "current_agent_action_type"], "is not a valid regular expression");
  }
  return { allowed: principal.permissions.has("Conversation:GetInteractionInsights"), typePattern };
}

export function responseFormatOf(query: Record<string, unknown>, name = "response_format"): "text" | "voice" {
  const value = query[name];
  if (value !== "text" && value !== "voice") throw validationError(["query", name], "must be text or voice");
  return value;
}

/** Claims the conversation for one running interaction; 409 while another one runs. */
export function claimConversation(state: AppState, conversationId: string): () => void {
  if (state.busyConversations.has(conversationId)) {
    throw new AppError("conflict", "Another interaction on this conversation is in progress");
  }
  state.busyConversations.add(conversationId);
  return () => state.busyConversations.delete(conversationId);
}
