import type { FastifyBaseLogger, FastifyReply } from "fastify";
import type { ConversationEvent } from "../domain/turn-events.js";
import { encodeMp3Piece, encodeWavFile } from "../engines/codec/encoders.js";
import { isAbortError, toAppError } from "../lib/app-error.js";
import { LatencyReport } from "../observability/latency-report.js";
import type { TurnObserver } from "../observability/metrics.js";
import type { ActionFilter, WireEvent } from "../protocol/events.js";
import { wireErrorOf, wireEventOf } from "../protocol/wire.js";
import { NdjsonWriter } from "./ndjson.js";

export interface StreamOptions {
  /** 200 for an interaction, 201 for a new conversation. */
  statusCode: number;
  filter: ActionFilter;
  /** How spoken pieces are encoded; null for text replies. */
  audioFormat: "mp3" | "wav" | null;
  /** `performance.now()` when the request arrived; with it a `latency-report` precedes completion. */
  latencyReportFrom: number | undefined;
  observer: TurnObserver;
  /** The client's signal (see clientGoneSignal). */
  signal: AbortSignal;
  log: FastifyBaseLogger;
}

/** One spoken piece as the NDJSON stream carries it: a standalone MP3 or WAV file, base64. */
async function encodePiece(pcm: Int16Array, sampleRateHz: number, format: "mp3" | "wav"): Promise<string> {
  const bytes = format === "mp3" ? await encodeMp3Piece(pcm, sampleRateHz) : encodeWavFile(pcm, sampleRateHz);
  return Buffer.from(bytes).toString("base64");
}

/**
 * Answers with a conversation's events as NDJSON. The status line waits for the first event the client
 * sees: every failure before it (a conflict, a missing service, bad audio, an agent that fails at once)
 * is thrown, for the error handler to answer with its status. After it, a failure becomes an in-band `error` event and the stream ends.
 * Returns whether the interaction completed.
 */
export async function streamConversation(
  reply: FastifyReply,
  events: AsyncGenerator<ConversationEvent>,
  options: StreamOptions,
): Promise<boolean> {
  const latency =
    options.latencyReportFrom === undefined ? undefined : new LatencyReport(options.latencyReportFrom);
  const observe = (event: ConversationEvent) => {
    if (event.type === "conversation-created") return;
    latency?.observe(event);
    options.observer.observe(event);
  };
  let writer: NdjsonWriter | undefined;
  const write = async (event: WireEvent) => {
    if (writer === undefined) {
      reply.hijack();
      writer = new NdjsonWriter(reply.raw, options.statusCode, options.signal);
    }
    await writer.write(event);
  };
  try {
    for await (const event of events) {
      observe(event);
      if (event.type === "conversation-created") {
        await write({ type: "conversation-created", conversation_id: event.conversationId });
        continue;
      }
      if (event.type === "complete" && latency !== undefined) await write(latency.report());
      const encoded =
        event.type === "reply-audio" && options.audioFormat !== null
          ? await encodePiece(event.utterance.pcm, event.utterance.sampleRateHz, options.audioFormat)
          : undefined;
      const wire = wireEventOf(event, options.filter, encoded);
      if (wire !== undefined) await write(wire);
      if (event.type === "complete") {
        options.observer.finish("completed");
        return true;
      }
    }
    options.observer.finish("failed");
    return false;
  } catch (error) {
    const abandoned = options.signal.aborted || isAbortError(error);
    options.observer.finish(abandoned ? "abandoned" : "failed");
    // Before the first event the failure is the answer's status (the error handler writes it).
    if (writer === undefined) throw error;
    if (abandoned) return false;
    const appError = toAppError(error);
    if (appError.httpStatus >= 500) options.log.error({ err: error }, "interaction failed");
    await writer.write(wireErrorOf(appError));
    return false;
  } finally {
    // Runs the producer's own clean-up (claims, slots) whether it completed, failed or was left.
    await events.return(undefined).catch(() => undefined);
    writer?.end();
  }
}
