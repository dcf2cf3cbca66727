import type { FastifyReply, FastifyRequest } from "fastify";
import type { ContextGraph } from "../../engines/agent/types.js";
import { isEnglish } from "../../engines/stt/types.js";
import { AppError } from "../../lib/app-error.js";
import { containerFromContentType } from "../../engines/codec/sniff.js";
import type { TurnUserInput } from "../../pipeline/turn.js";
import { transcribeUpload } from "../../pipeline/voice-input.js";
import type { Conversation } from "../../store/types.js";
import type { Principal } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { loadConversationContext } from "./conversation-context.js";
import {
  actionFilterFor,
  claimConversation,
  countInteraction,
  responseFormatOf,
} from "./conversation-guards.js";
import { checkExternalEventTimestamps, readInteractBody } from "./interact-body.js";
import { LatencyMarks } from "./latency-report.js";
import { checkVoiceReplyPossible, streamInteraction } from "./stream-interaction.js";
import { limitBody, openVoiceUpload, parseAudioConfig, replyAudioFormat } from "./voice-body.js";

type Query = Record<string, unknown>;

/** Aborted when the client goes away before the request is answered. */
function requestSignal(request: FastifyRequest): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!request.raw.complete)
      controller.abort(new DOMException("The client closed the connection", "AbortError"));
  };
  request.raw.once("close", onClose);
  return { signal: controller.signal, done: () => request.raw.off("close", onClose) };
}

/** The voice message of an interaction, transcribed while it uploads. */
async function voiceInput(
  deps: AppDeps,
  request: FastifyRequest<{ Querystring: Query }>,
  principal: Principal,
  conversation: Conversation,
  graph: ContextGraph,
  marks: LatencyMarks,
): Promise<TurnUserInput> {
  if (!isEnglish(principal.user.preferredLanguage)) {
    throw new AppError(
      "bad_request",
      `The preferred language ${principal.user.preferredLanguage} has no voice support`,
    );
  }
  const audioConfig = parseAudioConfig(request.query.request_audio_config);
  const declared = request.headers["content-type"] ?? "";
  if (!declared.startsWith("multipart/form-data") && containerFromContentType(declared) === "unsupported") {
    throw new AppError(
      "unsupported_media_type",
      `A voice message cannot be sent as ${declared.split(";")[0]}`,
    );
  }
  const upload = openVoiceUpload(request.raw);
  const { signal, done } = requestSignal(request);
  try {
    const transcribed = await transcribeUpload({
      body: limitBody(upload.audio, {
        maxBytes: deps.config.maxAudioBytes,
        stallMs: deps.config.bodyStallTimeoutMs,
      }),
      contentType: upload.contentType,
      audioConfig,
      stt: deps.engines.stt,
      expectedPhrases: deps.engines.agent.expectedUserReplies(graph, conversation.agentState),
      signal,
    });
    marks.voiceUpload(transcribed.bodyEndAt, transcribed.transcriptAt, {
      mode: transcribed.mode,
      grammar_confidence: transcribed.grammarConfidence ?? null,
      audio_ms: Math.round(transcribed.audioMs),
      recognized_ms_at_body_end: Math.round(transcribed.recognizedMsAtBodyEnd),
    });
    return {
      kind: "user-message",
      text: transcribed.text,
      format: "voice",
      audio: { bytes: transcribed.audio, mimeType: upload.contentType ?? "application/octet-stream" },
    };
  } catch (error) {
    // Whatever of the body is still coming is not needed; let it drain so the answer can be read.
    request.raw.resume();
    throw error;
  } finally {
    done();
  }
}

/** POST /v1/{org}/conversation/{id}/interact: a text or voice message in, a text or voice reply out. */
export async function interact(
  deps: AppDeps,
  state: AppState,
  request: FastifyRequest<{ Querystring: Query }>,
  reply: FastifyReply,
  principal: Principal,
  conversation: Conversation,
): Promise<void> {
  const marks = new LatencyMarks();
  const query = request.query;
  const requestFormat = responseFormatOf(query, "request_format");
  const responseFormat = responseFormatOf(query);
  const filter = actionFilterFor(principal, query);
  if (conversation.isFinished) throw new AppError("conflict", "The conversation is already finished");
  const context = await loadConversationContext(deps.store, conversation);
  if (responseFormat === "voice") checkVoiceReplyPossible(principal, context);
  const replyAudio = responseFormat === "voice" ? replyAudioFormat(request.headers.accept, query) : null;
  const release = claimConversation(state, conversation.id);
  try {
    countInteraction(state, principal);
    let userInput: TurnUserInput | null;
    let externalEvents: { text: string; timestamp: string }[] = [];
    if (requestFormat === "voice") {
      userInput = await voiceInput(deps, request, principal, conversation, context.graph, marks);
    } else {
      const body = await readInteractBody(request.raw, request.body);
      checkExternalEventTimestamps(body.externalEventTimestamps, conversation.createdAt, deps.now());
      userInput =
        body.initialMessageType === "skip"
          ? null
          : { kind: body.initialMessageType, text: body.recordedMessage, format: "text" };
      externalEvents = body.externalEventContents.map((text, index) => ({
        text,
        timestamp: body.externalEventTimestamps[index] ?? deps.now().toISOString(),
      }));
    }
    await streamInteraction(deps, request, reply, {
      principal,
      conversation,
      context,
      userInput,
      externalEvents,
      isReturningUser: false,
      filter,
      statusCode: 200,
      replyAudio,
      marks,
      includeLatencyReport: query.include_latency_report === "true",
    });
  } finally {
    release();
  }
}
