import type { ServerResponse } from "node:http";
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

/**
 * Claims the conversation for one running interaction; 409 while another one runs. The claim ends when
 * `release` is called or when the response closes, whichever comes first, so that no exit path (an
 * error, a stalled body, a client gone) can leave the conversation locked.
 */
export function claimConversation(
  state: AppState,
  conversationId: string,
  response: ServerResponse,
): () => void {
  if (state.busyConversations.has(conversationId)) {
    throw new AppError("conflict", "Another interaction on this conversation is in progress");
  }
  state.busyConversations.add(conversationId);
  return releaseOnce(response, () => state.busyConversations.delete(conversationId));
}

/**
 * Counts one voice message in progress for the user; 429 past `voiceNotesPerUser`. Ends like a
 * conversation claim.
 */
export function claimVoiceNoteSlot(
  state: AppState,
  principal: Principal,
  maxPerUser: number,
  response: ServerResponse,
): () => void {
  const key = `${principal.organization.id}:${principal.user.id}`;
  const running = state.voiceNotesInProgress.get(key) ?? 0;
  if (running >= maxPerUser) {
    throw new AppError("rate_limited", `At most ${maxPerUser} voice messages per user may upload at once`);
  }
  state.voiceNotesInProgress.set(key, running + 1);
  return releaseOnce(response, () => {
    const left = (state.voiceNotesInProgress.get(key) ?? 1) - 1;
    if (left <= 0) state.voiceNotesInProgress.delete(key);
    else state.voiceNotesInProgress.set(key, left);
  });
}

function releaseOnce(response: ServerResponse, release: () => void): () => void {
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    response.off("close", once);
    release();
  };
  response.once("close", once);
  return once;
}
