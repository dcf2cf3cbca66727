import type { FastifyBaseLogger } from "fastify";
import { toAppError } from "../../lib/app-error.js";
import type { TurnEvent } from "../../pipeline/turn.js";
import { type ActionFilter, actionVisible } from "../../protocol/events.js";
import type { NdjsonWriter } from "../ndjson.js";
import type { LatencyMarks } from "./latency-report.js";
import type { ReplyAudioRenderer } from "./reply-audio.js";

export interface StreamOptions {
  /** Speaks the reply instead of sending text pieces. */
  audio?: ReplyAudioRenderer | undefined;
  marks: LatencyMarks;
  includeLatencyReport: boolean;
}

/**
 * Sends a turn's events as wire events. Reply pieces are held back by one so that the last piece can
 * carry `stop: true`. A failure becomes an in-band `error` event; the turn itself guarantees that nothing
 * of a failed interaction was stored.
 */
export async function streamTurn(
  writer: NdjsonWriter,
  events: AsyncIterable<TurnEvent>,
  filter: ActionFilter,
  log: FastifyBaseLogger,
  options: StreamOptions,
): Promise<{ completed: boolean }> {
  let pending: { messageId: string; text: string } | undefined;
  let sequence = 0;
  const flushPiece = async (stop: boolean) => {
    if (pending === undefined) return;
    await writer.write({
      type: "new-message",
      message: pending.text,
      message_id: pending.messageId,
      sequence_number: sequence,
      stop,
      transcript_alignment: null,
    });
    sequence += 1;
    pending = undefined;
  };
  try {
    options.marks.agentStarted();
    for await (const event of events) {
      switch (event.type) {
        case "user-message":
          await writer.write({
            type: "user-message-available",
            message_id: event.messageId,
            user_message: event.text,
          });
          break;
        case "agent-action":
          if (actionVisible(filter, event.action.type)) {
            await writer.write({ type: "current-agent-action", action: event.action });
          }
          break;
        case "reply-piece":
          options.marks.agentText();
          if (options.audio !== undefined) {
            options.audio.push(event.messageId, event.text);
            break;
          }
          await flushPiece(false);
          pending = { messageId: event.messageId, text: event.text };
          break;
        case "complete":
          await flushPiece(true);
          if (options.includeLatencyReport) await writer.write(options.marks.report() as never);
          await writer.write({
            type: "interaction-complete",
            message_id: event.messageId,
            interaction_id: event.interactionId,
            full_message: event.fullMessage,
            conversation_completed: event.conversationCompleted,
          });
          return { completed: true };
        case "step-started":
        case "step-ended":
          break;
      }
    }
    return { completed: false };
  } catch (error) {
    options.audio?.abandon(error);
    if (writer.closed.aborted) return { completed: false };
    const appError = toAppError(error);
    if (appError.httpStatus >= 500) log.error({ err: error }, "interaction failed");
    await writer.write({
      type: "error",
      http_error_code: appError.httpStatus,
      error_description: appError.message,
    });
    return { completed: false };
  } finally {
    writer.end();
  }
}
