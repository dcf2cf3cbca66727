import type { Config } from "../config/config.js";
import type { Conversation } from "../domain/conversation.js";
import { newId } from "../domain/ids.js";
import { DEFAULT_USER_ROLE_NAME } from "../domain/permissions.js";
import type { Principal } from "../domain/principal.js";
import type { ConversationEvent } from "../domain/turn-events.js";
import type { PcmChunk } from "../engines/codec/types.js";
import type { Engines } from "../engines/registry.js";
import { isEnglish } from "../engines/stt/types.js";
import { AppError } from "../lib/app-error.js";
import type { Recognition } from "../domain/turn-events.js";
import { commitTurn, type Delivered } from "../pipeline/commit.js";
import { FillerAudioCache } from "../pipeline/fillers-audio.js";
import { produceTurn, type TurnRequest, type TurnUserInput } from "../pipeline/turn.js";
import type { Store } from "../store/types.js";
import { loadServiceContext, type ServiceContext } from "./context.js";
import { loadConversationHistory } from "./history.js";
import type { ConversationLeases, Lease } from "./leases.js";
import type { ConversationLimits } from "./limits.js";

/** A voice message as the transport hands it over: decoded audio as it arrives, and its recording. */
export interface VoiceMessage {
  pcm: AsyncIterable<PcmChunk>;
  /** The recording as received, read once `pcm` has ended. */
  recording: () => { bytes: Uint8Array; mimeType: string };
  /** `performance.now()` when the last byte arrived, 0 while it goes on. */
  inputEndedAt: () => number;
}

/** What the user sends in one interaction. */
export type InteractionInput =
  | {
      format: "text";
      kind: "user-message" | "external-event" | "skip";
      text: string;
      /** External events to insert before the message, oldest first. */
      externalEvents: { text: string; timestamp: string }[];
    }
  | { format: "voice"; message: VoiceMessage }
  | {
      /** A voice message the transport recognized live (the real-time session). */
      format: "transcribed";
      recognition: Recognition;
      recording: () => { bytes: Uint8Array; mimeType: string };
      externalEvents: { text: string; timestamp: string }[];
    };

/** What became of a produced reply on its way to the user: all of it, the heard prefix, or nothing. */
export type Delivery = Delivered | { kind: "none" };

export interface TurnOptions {
  /** How the agent answers: text pieces, or spoken utterances (the transport encodes them). */
  reply: "text" | "voice";
  /** The connection's signal: aborting it stops the turn, releases every claim, and stores nothing. */
  signal: AbortSignal;
  /**
   * Waits until the produced reply has reached the user (by default at once, all of it). The real-time
   * session resolves it when the reply's audio has played out, or with the heard prefix after an
   * interruption, or `none` (the turn is then rolled back).
   */
  delivered?: (turn: { interactionId: string; messageId: string; fullMessage: string }) => Promise<Delivery>;
  /**
   * Aborting it stops the reply's production (agent, speech) but keeps the turn: `delivered` then gets
   * the text produced so far and decides what is kept (the real-time session's barge-in mid-reply).
   */
  cutShort?: AbortSignal;
}

export interface CreateRequest {
  serviceId: string;
  versionSetName: string;
  initialMessage: { kind: "user-message" | "external-event"; text: string } | null;
  tags: Record<string, string | null>;
}

export interface ConversationServiceDeps {
  store: Store;
  engines: Engines;
  config: Pick<Config, "maxAudioDurationMs" | "fillers">;
  leases: ConversationLeases;
  limits: ConversationLimits;
  now: () => Date;
  /** Told when a grammar recognizer fails (its result is then not used). */
  warn: (error: unknown, message: string) => void;
}

/**
 * The conversation rules both transports share: load the caller's conversation, claim it for one
 * interaction at a time, rate limits, the language and voice checks, create / interact / finish. A
 * turn's events stream out as they happen; the turn is committed only once it has completed, and the
 * `complete` event follows the commit. Every check runs before the first event, so a transport that
 * waits for the first event before answering can answer a failed check with its status.
 */
export class ConversationService {
  /** Filler phrases spoken once per voice, shared by every turn. */
  private readonly fillerAudio = new FillerAudioCache();

  constructor(private readonly deps: ConversationServiceDeps) {}

  /** The caller's conversation; another user's is found only by administrative roles (404 otherwise). */
  async loadOwnConversation(principal: Principal, conversationId: string): Promise<Conversation> {
    const conversation = await this.deps.store.getConversation(principal.organization.id, conversationId);
    const visible =
      conversation !== undefined &&
      (conversation.userId === principal.user.id || principal.user.roleName !== DEFAULT_USER_ROLE_NAME);
    if (!visible) throw new AppError("not_found", `Conversation ${conversationId} not found`);
    return conversation;
  }

  /** True while an interaction runs on the conversation. */
  isBusy(conversationId: string): boolean {
    return this.deps.leases.isHeld(conversationId);
  }

  /** Starts a conversation: `conversation-created`, then the agent's opening turn. */
  async *create(
    principal: Principal,
    request: CreateRequest,
    options: TurnOptions,
  ): AsyncGenerator<ConversationEvent> {
    const { store } = this.deps;
    const orgId = principal.organization.id;
    const context = await loadServiceContext(store, orgId, request.serviceId, request.versionSetName);
    if (options.reply === "voice") checkVoiceReplyPossible(principal, context);
    const lease = this.deps.leases.acquire(
      `create:${orgId}:${principal.user.id}:${request.serviceId}`,
      options.signal,
    );
    let conversation: Conversation | undefined;
    let turnEnded = false;
    let turnLease: Lease | undefined;
    try {
      // The spec's 400: "attempting to start a conversation when other unfinished conversations exist".
      if (await store.findUnfinishedConversation(orgId, principal.user.id, request.serviceId)) {
        throw new AppError(
          "bad_request",
          "The user already has an unfinished conversation with this service",
        );
      }
      this.deps.limits.countConversationCreate(principal);
      const now = this.deps.now().toISOString();
      conversation = {
        id: newId(),
        organizationId: orgId,
        userId: principal.user.id,
        serviceId: request.serviceId,
        versionSetName: request.versionSetName,
        isFinished: false,
        agentState: null,
        tags: request.tags,
        createdAt: now,
        updatedAt: now,
      };
      const isReturningUser =
        (await store.countFinishedConversations(orgId, principal.user.id, request.serviceId)) > 0;
      await store.createConversation(conversation);
      // The opening turn holds the conversation like any interaction: no other may run beside it.
      turnLease = this.deps.leases.acquire(conversation.id, options.signal);
      yield { type: "conversation-created", conversationId: conversation.id, atMs: performance.now() };
      const userInput: TurnUserInput | null =
        request.initialMessage === null ? null : { ...request.initialMessage, format: "text" };
      for await (const event of this.runTurn(principal, conversation, context, options, {
        userInput,
        externalEvents: [],
        isReturningUser,
      })) {
        if (event.type === "complete") turnEnded = true;
        yield event;
      }
      // The opening turn ran to its end: completed, or rolled back by its delivery (a greeting the user
      // interrupted before hearing any of it); the conversation stays either way.
      turnEnded = true;
    } finally {
      turnLease?.release();
      lease.release();
      // A conversation whose opening turn failed or was abandoned is not kept.
      if (conversation !== undefined && !turnEnded) await store.deleteConversation(orgId, conversation.id);
    }
  }

  /** One interaction on the caller's conversation: the user's message in, the agent's reply out. */
  async *interact(
    principal: Principal,
    conversationId: string,
    input: InteractionInput,
    options: TurnOptions,
  ): AsyncGenerator<ConversationEvent> {
    const voiceSlot =
      input.format === "voice" ? this.deps.limits.holdVoiceNote(principal, options.signal) : undefined;
    const spoken = input.format === "voice" || input.format === "transcribed";
    let lease: Lease | undefined;
    try {
      const conversation = await this.loadOwnConversation(principal, conversationId);
      if (conversation.isFinished) throw new AppError("conflict", "The conversation is already finished");
      const context = await loadServiceContext(
        this.deps.store,
        conversation.organizationId,
        conversation.serviceId,
        conversation.versionSetName,
      );
      if (options.reply === "voice") checkVoiceReplyPossible(principal, context);
      if (spoken) checkVoiceInputPossible(principal);
      lease = this.deps.leases.acquire(conversation.id, options.signal);
      this.deps.limits.countInteraction(principal);
      let userInput: TurnUserInput | null;
      let externalEvents: { text: string; timestamp: string }[] = [];
      if (input.format === "voice") {
        userInput = { kind: "user-message", format: "voice", ...input.message };
      } else if (input.format === "transcribed") {
        checkExternalEventTimestamps(
          input.externalEvents.map((e) => e.timestamp),
          conversation.createdAt,
          this.deps.now(),
        );
        externalEvents = input.externalEvents;
        userInput = {
          kind: "user-message",
          format: "voice",
          transcript: input.recognition,
          recording: input.recording,
        };
      } else {
        checkExternalEventTimestamps(
          input.externalEvents.map((e) => e.timestamp),
          conversation.createdAt,
          this.deps.now(),
        );
        externalEvents = input.externalEvents;
        userInput = input.kind === "skip" ? null : { kind: input.kind, format: "text", text: input.text };
      }
      for await (const event of this.runTurn(principal, conversation, context, options, {
        userInput,
        externalEvents,
        isReturningUser: false,
      })) {
        // The recognizer is done with the voice message once its transcript exists.
        if (event.type === "user-message") voiceSlot?.release();
        yield event;
      }
    } finally {
      voiceSlot?.release();
      lease?.release();
    }
  }

  /** Marks the caller's conversation finished (409 when finished or busy, 400 without interactions). */
  async finish(principal: Principal, conversationId: string): Promise<void> {
    const { store } = this.deps;
    const conversation = await this.loadOwnConversation(principal, conversationId);
    if (conversation.isFinished) throw new AppError("conflict", "The conversation is already finished");
    if (this.isBusy(conversation.id)) {
      throw new AppError("conflict", "An interaction on this conversation is in progress");
    }
    if ((await store.countInteractions(principal.organization.id, conversation.id)) === 0) {
      throw new AppError("bad_request", "The conversation has no interactions");
    }
    await store.setConversationFinished(
      principal.organization.id,
      conversation.id,
      this.deps.now().toISOString(),
    );
  }

  /** Produces the turn, commits it (unless the client went away first), then tells `complete`. */
  private async *runTurn(
    principal: Principal,
    conversation: Conversation,
    context: ServiceContext,
    options: TurnOptions,
    turn: Pick<TurnRequest, "userInput" | "externalEvents" | "isReturningUser">,
  ): AsyncGenerator<ConversationEvent> {
    const { engines, config } = this.deps;
    const produced = produceTurn({
      ...turn,
      agent: engines.agent,
      conversation,
      history: await loadConversationHistory(this.deps.store, conversation),
      user: principal.user,
      persona: context.persona,
      graph: context.graph,
      reply:
        options.reply === "voice"
          ? { format: "voice", tts: engines.tts, voiceId: context.persona.voiceConfig?.voice_id }
          : { format: "text" },
      recognition: {
        stt: engines.stt,
        maxDurationMs: config.maxAudioDurationMs,
        onGrammarFailure: (error) =>
          this.deps.warn(error, "the grammar recognizer failed; the open transcript is used"),
      },
      fillers: {
        settings: config.fillers,
        cache: this.fillerAudio,
        onError: (error) => this.deps.warn(error, "a filler could not be made; the turn goes on without it"),
      },
      now: this.deps.now,
      signal: options.signal,
      ...(options.cutShort === undefined ? {} : { cutShort: options.cutShort }),
    });
    let next = await produced.next();
    while (next.done !== true) {
      yield next.value;
      next = await produced.next();
    }
    options.signal.throwIfAborted();
    const record = next.value;
    const delivery: Delivery =
      options.delivered === undefined
        ? { kind: "all" }
        : await options.delivered({
            interactionId: record.interactionId,
            messageId: record.agentMessageId,
            fullMessage: record.fullMessage,
          });
    options.signal.throwIfAborted();
    if (delivery.kind === "none") return;
    // Outside the abortable scope: once the commit starts, it completes.
    const { fullMessage } = await commitTurn(
      this.deps.store,
      record,
      delivery,
      this.deps.now().toISOString(),
    );
    yield {
      type: "complete",
      interactionId: record.interactionId,
      messageId: record.agentMessageId,
      fullMessage,
      conversationCompleted: record.conversationCompleted,
      interrupted: delivery.kind === "prefix",
      atMs: performance.now(),
    };
  }
}

/** A voice reply needs the agent's voice_config and a language with voice support (400 otherwise). */
function checkVoiceReplyPossible(principal: Principal, context: ServiceContext): void {
  if (context.persona.voiceConfig === null) {
    throw new AppError("bad_request", "The agent has no voice_config, so it cannot answer with voice");
  }
  checkVoiceInputPossible(principal);
}

function checkVoiceInputPossible(principal: Principal): void {
  // An erased preferred language (stored empty) means the agent's default, which speaks English.
  if (!isEnglish(principal.user.preferredLanguage || undefined)) {
    throw new AppError(
      "bad_request",
      `The preferred language ${principal.user.preferredLanguage} has no voice support`,
    );
  }
}

/**
 * External events must lie in the past, in order, and not before the conversation started (400
 * otherwise, as the spec says); a timestamp that is not a date-time is a 422.
 */
export function checkExternalEventTimestamps(
  timestamps: string[],
  conversationCreatedAt: string,
  now: Date,
): void {
  let previous = Date.parse(conversationCreatedAt);
  for (const timestamp of timestamps) {
    const time = Date.parse(timestamp);
    if (Number.isNaN(time)) {
      throw new AppError("unprocessable", "body.external_event_message_timestamp: must be a date-time", {
        detail: [
          {
            loc: ["body", "external_event_message_timestamp"],
            msg: "must be a date-time",
            type: "value_error",
          },
        ],
      });
    }
    if (time > now.getTime())
      throw new AppError("bad_request", "External event timestamps must be in the past");
    if (time < previous) {
      throw new AppError("bad_request", "External event timestamps are inconsistent with the conversation");
    }
    previous = time;
  }
}
