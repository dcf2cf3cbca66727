import type { FastifyReply, FastifyRequest } from "fastify";
import { isEnglish } from "../../engines/stt/types.js";
import { AppError } from "../../lib/app-error.js";
import { runTurn, type TurnUserInput } from "../../pipeline/turn.js";
import type { ActionFilter, WireEvent } from "../../protocol/events.js";
import type { Conversation } from "../../store/types.js";
import type { Principal } from "../auth.js";
import type { AppDeps } from "../deps.js";
import { NdjsonWriter } from "../ndjson.js";
import type { ServiceContext } from "./conversation-context.js";
import { streamTurn } from "./conversation-stream.js";
import type { LatencyMarks } from "./latency-report.js";
import { ReplyAudioRenderer } from "./reply-audio.js";

export interface InteractionResponse {
  principal: Principal;
  conversation: Conversation;
  context: ServiceContext;
  userInput: TurnUserInput | null;
  externalEvents: { text: string; timestamp: string }[];
  isReturningUser: boolean;
  filter: ActionFilter;
  statusCode: number;
  /** `null` for text replies. */
  replyAudio: "mp3" | "wav" | null;
  marks: LatencyMarks;
  includeLatencyReport: boolean;
  /** Events sent before the turn's own (conversation-created). */
  leadingEvents?: WireEvent[];
  /** Aborted when the client goes away (see clientGoneSignal): stops the turn, nothing is stored. */
  signal: AbortSignal;
}

/** Checks, before anything is streamed, that a voice reply can be given (400 otherwise, per the spec). */
export function checkVoiceReplyPossible(principal: Principal, context: ServiceContext): void {
  if (context.persona.voiceConfig === null) {
    throw new AppError("bad_request", "The agent has no voice_config, so it cannot answer with voice");
  }
  if (!isEnglish(principal.user.preferredLanguage)) {
    throw new AppError(
      "bad_request",
      `The preferred language ${principal.user.preferredLanguage} has no voice support`,
    );
  }
}

/** Sends the status, then the turn as an NDJSON stream; returns whether the interaction completed. */
export async function streamInteraction(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  turn: InteractionResponse,
): Promise<boolean> {
  reply.hijack();
  const writer = new NdjsonWriter(reply.raw, turn.statusCode, turn.signal);
  // One controller per reply, child of the client's: a failed synthesis stops the agent too.
  const replyController = new AbortController();
  const stopReply = () => replyController.abort(turn.signal.reason);
  turn.signal.addEventListener("abort", stopReply, { once: true });
  if (turn.signal.aborted) stopReply();
  for (const event of turn.leadingEvents ?? []) await writer.write(event);
  const audio =
    turn.replyAudio === null
      ? undefined
      : new ReplyAudioRenderer(writer, {
          tts: deps.engines.tts,
          voiceId: turn.context.persona.voiceConfig?.voice_id,
          format: turn.replyAudio,
          signal: replyController.signal,
          marks: turn.marks,
          onFailure: (error) => replyController.abort(error),
        });
  const { completed } = await streamTurn(
    writer,
    runTurn({
      store: deps.store,
      agent: deps.engines.agent,
      conversation: turn.conversation,
      user: turn.principal.user,
      persona: turn.context.persona,
      graph: turn.context.graph,
      userInput: turn.userInput,
      externalEvents: turn.externalEvents,
      isReturningUser: turn.isReturningUser,
      now: deps.now,
      signal: replyController.signal,
      beforeCommit: async () => {
        turn.marks.agentDone();
        await audio?.finish();
      },
    }),
    turn.filter,
    request.log,
    { audio, marks: turn.marks, includeLatencyReport: turn.includeLatencyReport },
  ).finally(() => turn.signal.removeEventListener("abort", stopReply));
  return completed;
}
