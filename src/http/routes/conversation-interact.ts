import type { FastifyReply, FastifyRequest } from "fastify";
import type { ContextGraph } from "../../engines/agent/types.js";
import { isEnglish } from "../../engines/stt/types.js";
import { AppError } from "../../lib/app-error.js";
import { containerFromContentType } from "../../engines/codec/sniff.js";
import type { TurnUserInput } from "../../pipeline/turn.js";
import { transcribeUpload } from "../../pipeline/voice-input.js";
import type { Conversation } from "../../store/types.js";
import type { Principal } from "../auth.js";
import { bodyLimitsFor } from "../body-stream.js";
import { clientGoneSignal } from "../client-signal.js";
import type { AppDeps, AppState } from "../deps.js";
import { loadConversationContext } from "./conversation-context.js";
import {
  actionFilterFor,
  claimConversation,
  claimVoiceNoteSlot,
  countInteraction,
  responseFormatOf,
} from "./conversation-guards.js";
import { checkExternalEventTimestamps, readInteractBody } from "./interact-body.js";
import { LatencyMarks } from "./latency-report.js";
import { checkVoiceReplyPossible, streamInteraction } from "./stream-interaction.js";
import { openVoiceUpload, parseAudioConfig, replyAudioFormat } from "./voice-body.js";

type Query = Record<string, unknown>;

/** The voice message of an interaction, transcribed while it uploads. */
async function voiceInput(
  deps: AppDeps,
  request: FastifyRequest<{ Querystring: Query }>,
  principal: Principal,
  conversation: Conversation,
  graph: ContextGraph,
  marks: LatencyMarks,
  signal: AbortSignal,
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
  const upload = openVoiceUpload(request.raw, {
    limits: bodyLimitsFor(deps.config, "audio"),
    maxParts: deps.config.maxMultipartFields,
    signal,
  });
  const transcribed = await transcribeUpload({
    body: upload.audio,
    contentType: upload.contentType,
    audioConfig,
    stt: deps.engines.stt,
    expectedPhrases: deps.engines.agent.expectedUserReplies(graph, conversation.agentState),
    signal,
    maxDurationMs: deps.config.maxAudioDurationMs,
    onGrammarFailure: (error) =>
      request.log.warn({ err: error }, "the grammar recognizer failed; the open transcript is used"),
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
  const signal = clientGoneSignal(request, reply);
  const releaseVoiceSlot =
    requestFormat === "voice"
      ? claimVoiceNoteSlot(state, principal, deps.config.voiceNotesPerUser, reply.raw)
      : () => undefined;
  let release = () => undefined as unknown;
  try {
    release = claimConversation(state, conversation.id, reply.raw);
    countInteraction(state, principal);
    let userInput: TurnUserInput | null;
    let externalEvents: { text: string; timestamp: string }[] = [];
    if (requestFormat === "voice") {
      userInput = await voiceInput(deps, request, principal, conversation, context.graph, marks, signal);
      releaseVoiceSlot();
    } else {
      const body = await readInteractBody(request.raw, request.body, {
        limits: bodyLimitsFor(deps.config, "text"),
        maxParts: deps.config.maxMultipartFields,
        signal,
      });
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
      signal,
    });
  } finally {
    releaseVoiceSlot();
    release();
  }
}
