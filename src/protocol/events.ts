import type { UserPattern } from "../lib/user-pattern.js";

/** Wire events of the conversation stream, shaped as the spec's event schemas. */
export type WireEvent =
  | { type: "conversation-created"; conversation_id: string }
  | { type: "user-message-available"; message_id: string; user_message: string }
  | { type: "current-agent-action"; action: { type: string; [field: string]: unknown } }
  | {
      type: "new-message";
      message: string;
      message_id: string;
      sequence_number: number;
      stop: boolean;
      transcript_alignment: [number, string][] | null;
    }
  | {
      type: "interaction-complete";
      message_id: string;
      interaction_id: string;
      full_message: string;
      conversation_completed: boolean;
    }
  | { type: "error"; http_error_code: number; error_description: string }
  /** Parley's own event, only with `include_latency_report=true`: stage timings of the interaction. */
  | { type: "latency-report"; [field: string]: unknown };

/**
 * Which agent action events a caller sees: the insights permission and the type pattern both apply. The
 * pattern is the caller's, so it is a linear-time {@link UserPattern}, never a backtracking `RegExp`.
 */
export interface ActionFilter {
  allowed: boolean;
  typePattern: UserPattern;
}

export function actionVisible(filter: ActionFilter, actionType: string): boolean {
  return filter.allowed && filter.typePattern.test(actionType);
}
