import type { AppError } from "../lib/app-error.js";
import type { TurnEvent } from "../domain/turn-events.js";
import { type ActionFilter, actionVisible, type WireEvent } from "./events.js";

/** The spec's `ActionTooLongEvent` type: a step outlived its filler trigger. */
const ACTION_TOO_LONG = "action-too-long";

/**
 * The wire body of a turn event, the same for every transport (NDJSON lines, WebSocket messages), or
 * undefined for events the client does not see (stage marks, steps, filtered actions). A spoken piece
 * needs its audio already encoded by the transport (`encodedAudio`: base64 of an MP3 or WAV piece).
 */
export function wireEventOf(
  event: TurnEvent,
  filter: ActionFilter,
  encodedAudio?: string,
): WireEvent | undefined {
  switch (event.type) {
    case "user-message":
      return { type: "user-message-available", message_id: event.messageId, user_message: event.text };
    case "agent-action":
      return actionVisible(filter, event.action.type)
        ? { type: "current-agent-action", action: event.action }
        : undefined;
    case "filler":
      // The spec's ActionTooLongEvent: base64 WAV (mono 16-bit 16 kHz) in voice replies, else the text.
      return actionVisible(filter, ACTION_TOO_LONG)
        ? {
            type: "current-agent-action",
            action: {
              type: ACTION_TOO_LONG,
              filler: event.audio?.wavBase64 ?? event.text,
              previously_started_event: event.step.startedEvent,
            },
          }
        : undefined;
    case "reply-text":
      return {
        type: "new-message",
        message: event.text,
        message_id: event.messageId,
        sequence_number: event.sequence,
        stop: event.isLast,
        transcript_alignment: null,
      };
    case "reply-audio":
      return {
        type: "new-message",
        message: encodedAudio ?? "",
        message_id: event.messageId,
        sequence_number: event.utterance.sequence,
        stop: event.utterance.isLast,
        transcript_alignment: event.utterance.alignment,
      };
    case "complete":
      return {
        type: "interaction-complete",
        message_id: event.messageId,
        interaction_id: event.interactionId,
        full_message: event.fullMessage,
        conversation_completed: event.conversationCompleted,
      };
    case "stage":
    case "step-started":
    case "step-ended":
      return undefined;
  }
}

/** The in-band `error` event of a stream that has started. */
export function wireErrorOf(error: AppError): WireEvent {
  return { type: "error", http_error_code: error.httpStatus, error_description: error.message };
}
