import type { PcmChunk } from "../engines/codec/types.js";
import type {
  AgentActionEvent,
  AgentConversationState,
  AgentEngine,
  AgentPersona,
  AgentTurnDone,
  AgentTurnInput,
  ContextGraph,
  ConversationEntry,
} from "../engines/agent/types.js";
import type { SttEngine } from "../engines/stt/types.js";
import type { TtsEngine } from "../engines/tts/types.js";
import { newId } from "../domain/ids.js";
import { Channel } from "../lib/channel.js";
import type { Conversation, Message } from "../domain/conversation.js";
import type { Recognition, TurnEvent } from "../domain/turn-events.js";
import { FillerTimer, type FillerSettings } from "./fillers.js";
import type { FillerAudioCache } from "./fillers-audio.js";
import { ReplySpeaker } from "./speak.js";
import { recognizeUtterance } from "./voice-input.js";

export type { TurnEvent, TurnStage } from "../domain/turn-events.js";

/** The user's side of a turn: a typed message, a voice message to recognize, or an external event. */
export type TurnUserInput =
  | { kind: "user-message" | "external-event"; format: "text"; text: string }
  | {
      kind: "user-message";
      format: "voice";
      /** Decoded audio as it arrives. */
      pcm: AsyncIterable<PcmChunk>;
      /** The recording as received (the message's source), read once `pcm` has ended. */
      recording: () => { bytes: Uint8Array; mimeType: string };
      /** `performance.now()` when the last byte of the recording arrived, 0 while it goes on. */
      inputEndedAt: () => number;
    }
  | {
      kind: "user-message";
      format: "voice";
      /** A voice message the transport has already recognized (live, while the user spoke). */
      transcript: Recognition;
      recording: () => { bytes: Uint8Array; mimeType: string };
    };

/** The user facts a turn needs. */
export interface TurnUser {
  firstName: string;
  lastName: string;
  timezone: string;
  preferredLanguage: string;
}

export interface TurnRequest {
  agent: AgentEngine;
  conversation: Conversation;
  user: TurnUser;
  persona: AgentPersona;
  graph: ContextGraph;
  /**
   * The conversation before this turn, oldest first (the store keeps only the heard part of an
   * interrupted reply, so that is what the agent remembers).
   */
  history: ConversationEntry[];
  /** Null when the agent speaks first or the user skips. */
  userInput: TurnUserInput | null;
  /** External events inserted before the user message, oldest first. */
  externalEvents: { text: string; timestamp: string }[];
  isReturningUser: boolean;
  /** How the reply goes out: text pieces, or utterances spoken with `voiceId`. */
  reply: { format: "text" } | { format: "voice"; tts: TtsEngine; voiceId: string | undefined };
  /** Needed for voice input. */
  recognition?: {
    stt: SttEngine;
    maxDurationMs: number;
    onGrammarFailure: (error: unknown) => void;
  };
  /** Fillers for slow steps; none when absent. */
  fillers?: {
    settings: FillerSettings;
    cache: FillerAudioCache;
    /** Told when a filler could not be made (the turn goes on without it). */
    onError: (error: unknown) => void;
  };
  now: () => Date;
  /** One signal per reply (child of the connection's): aborting it stops recognition, agent and speech. */
  signal: AbortSignal;
  /**
   * Aborting it stops the agent and the speech like `signal`, but keeps the turn: its record holds what
   * was produced so far (the agent's text up to then), for the caller to keep the part the user heard.
   */
  cutShort?: AbortSignal;
}

/** A message of a produced turn; its place in the conversation is given when it is committed. */
export type TurnMessage = Omit<Message, "sequence">;

/** Everything a finished turn would store: committed apart from producing it. */
export interface TurnRecord {
  conversation: Conversation;
  interactionId: string;
  agentMessageId: string;
  startedAt: string;
  messages: TurnMessage[];
  actions: AgentActionEvent["action"][];
  fullMessage: string;
  nextState: AgentConversationState;
  currentStateName: string;
  conversationCompleted: boolean;
}

/** Events may queue this deep before the agent and the synthesizer wait for the transport. */
const EVENT_QUEUE_CAPACITY = 64;

/**
 * Produces one interaction: recognizes a voice message, runs the agent, and speaks or writes the reply,
 * as one stream of events. Nothing is stored: the generator's return value is the record to commit.
 * An error or an abort ends the stream with that error.
 */
export async function* produceTurn(request: TurnRequest): AsyncGenerator<TurnEvent, TurnRecord> {
  const events = new Channel<TurnEvent>(EVENT_QUEUE_CAPACITY);
  let record: TurnRecord | undefined;
  const emit: Emit = (event) => events.send({ ...event, atMs: performance.now() });
  const production = runProduction(request, emit).then(
    (produced) => {
      record = produced;
      events.close();
    },
    (error: unknown) => events.fail(error),
  );
  try {
    yield* events;
  } finally {
    await production;
  }
  if (record === undefined) throw new Error("the turn ended without a result");
  return record;
}

type Emit = (event: DistributiveOmit<TurnEvent, "atMs">) => Promise<void>;
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/**
 * Runs the turn under its own controller, a child of the request's signal, so that a synthesis failure
 * stops the agent at once; the failure is then what the turn reports.
 */
async function runProduction(request: TurnRequest, emit: Emit): Promise<TurnRecord> {
  const controller = new AbortController();
  const stop = () => controller.abort(request.signal.reason);
  const cut = () => controller.abort(request.cutShort?.reason);
  request.signal.addEventListener("abort", stop, { once: true });
  request.cutShort?.addEventListener("abort", cut, { once: true });
  if (request.signal.aborted) stop();
  let synthesisFailure: { error: unknown } | undefined;
  const progress: TurnProgress = { messages: [], actions: [], text: "", done: undefined };
  try {
    return await produce(
      { ...request, signal: controller.signal },
      emit,
      (error) => {
        synthesisFailure ??= { error };
        controller.abort(error);
      },
      progress,
    );
  } catch (error) {
    if (synthesisFailure !== undefined) throw synthesisFailure.error;
    const cutRecord =
      request.cutShort?.aborted === true && !request.signal.aborted
        ? cutShortRecord(request, progress)
        : undefined;
    if (cutRecord === undefined) throw error;
    return cutRecord;
  } finally {
    request.signal.removeEventListener("abort", stop);
    request.cutShort?.removeEventListener("abort", cut);
  }
}

/** What a turn has produced so far: enough to keep a reply cut short. */
interface TurnProgress {
  record?: Omit<
    TurnRecord,
    "messages" | "actions" | "fullMessage" | "nextState" | "currentStateName" | "conversationCompleted"
  >;
  messages: TurnMessage[];
  actions: AgentActionEvent["action"][];
  /** The agent's text so far. */
  text: string;
  done: AgentTurnDone | undefined;
  /** The agent message, without its content. */
  agentMessage?: Omit<TurnMessage, "content">;
}

/**
 * The record of a reply cut short (`TurnRequest.cutShort`): the messages so far and the agent's text up
 * to the cut. When the agent had finished its turn, its new state is kept; otherwise the conversation's
 * state does not move (the agent was cut off before it finished). Undefined when there is nothing to
 * keep: no agent text yet, or an opening turn cut before the agent finished (it has no state to keep).
 */
function cutShortRecord(request: TurnRequest, progress: TurnProgress): TurnRecord | undefined {
  const { record, agentMessage, done } = progress;
  const fullMessage = done?.fullMessage ?? progress.text;
  if (record === undefined || agentMessage === undefined || fullMessage.trim() === "") return undefined;
  const nextState = done?.nextState ?? request.conversation.agentState;
  if (nextState === null) return undefined;
  const transition = progress.actions.findLast((a) => a.type === "navigate-state-machine-state-transitioned");
  return {
    ...record,
    messages: [
      ...progress.messages,
      { ...agentMessage, content: fullMessage, createdAt: request.now().toISOString() },
    ],
    actions: progress.actions,
    fullMessage,
    nextState,
    currentStateName:
      done?.currentStateName ?? (typeof transition?.next_state === "string" ? transition.next_state : ""),
    conversationCompleted: done?.conversationCompleted ?? false,
  };
}

async function produce(
  request: TurnRequest,
  emit: Emit,
  onSynthesisFailure: (error: unknown) => void,
  progress: TurnProgress,
): Promise<TurnRecord> {
  const { conversation, signal } = request;
  const interactionId = newId();
  const agentMessageId = newId();
  const startedAt = request.now();
  const messages: TurnMessage[] = progress.messages;
  const addMessage = (
    fields: Pick<TurnMessage, "id" | "senderKind" | "senderName" | "messageType" | "format" | "content"> & {
      audio?: { bytes: Uint8Array; mimeType: string } | undefined;
      createdAt: string;
    },
  ) => {
    messages.push({
      id: fields.id,
      organizationId: conversation.organizationId,
      conversationId: conversation.id,
      interactionId,
      senderKind: fields.senderKind,
      senderName: fields.senderName,
      messageType: fields.messageType,
      format: fields.format,
      content: fields.content,
      audio: fields.audio?.bytes ?? null,
      audioMimeType: fields.audio?.mimeType ?? null,
      createdAt: fields.createdAt,
    });
  };

  const userName = `${request.user.firstName} ${request.user.lastName}`.trim();
  for (const event of request.externalEvents) {
    addMessage({
      id: newId(),
      senderKind: "system",
      senderName: "external event",
      messageType: "external-event",
      format: "text",
      content: event.text,
      createdAt: event.timestamp,
    });
  }

  let userText: { kind: "user-message" | "external-event"; text: string } | null = null;
  const input = request.userInput;
  if (input !== null) {
    const userMessageId = newId();
    let text: string;
    let recognition: Recognition | undefined;
    let audio: { bytes: Uint8Array; mimeType: string } | undefined;
    if (input.format === "voice" && "transcript" in input) {
      recognition = input.transcript;
      text = recognition.text;
      audio = input.recording();
    } else if (input.format === "voice") {
      const options = request.recognition;
      if (options === undefined) throw new Error("a voice message needs a speech recognizer");
      recognition = await recognizeUtterance({
        pcm: input.pcm,
        stt: options.stt,
        expectedPhrases: request.agent.expectedUserReplies?.(request.graph, conversation.agentState) ?? null,
        signal,
        maxDurationMs: options.maxDurationMs,
        onGrammarFailure: options.onGrammarFailure,
        inputEndedAt: input.inputEndedAt,
      });
      text = recognition.text;
      audio = input.recording();
    } else {
      text = input.text;
    }
    addMessage({
      id: userMessageId,
      senderKind: input.kind === "user-message" ? "user" : "system",
      senderName: input.kind === "user-message" ? userName : "external event",
      messageType: input.kind,
      format: input.format,
      content: text,
      audio,
      createdAt: startedAt.toISOString(),
    });
    userText = { kind: input.kind, text };
    await emit({
      type: "user-message",
      messageId: userMessageId,
      text,
      ...(recognition === undefined ? {} : { recognition }),
    });
  }

  const agentInput: AgentTurnInput = {
    conversationId: conversation.id,
    persona: request.persona,
    graph: request.graph,
    state: conversation.agentState,
    currentStateName:
      typeof conversation.agentState?.current_state === "string"
        ? conversation.agentState.current_state
        : null,
    history: request.history,
    userMessage:
      userText ??
      (request.externalEvents.length > 0
        ? { kind: "external-event", text: request.externalEvents.map((e) => e.text).join("\n") }
        : null),
    isReturningUser: request.isReturningUser,
    user: request.user,
    now: startedAt,
  };

  const fillers = fillerTimerOf(request, agentMessageId, emit);
  const reply = new ReplyWriter(request, agentMessageId, emit, onSynthesisFailure);
  const actions: AgentActionEvent["action"][] = progress.actions;
  const fragments = new FragmentDeriver(async (action) => {
    actions.push(action);
    await emit({ type: "agent-action", action });
  });
  progress.record = { conversation, interactionId, agentMessageId, startedAt: startedAt.toISOString() };
  progress.agentMessage = {
    id: agentMessageId,
    organizationId: conversation.organizationId,
    conversationId: conversation.id,
    interactionId,
    senderKind: "agent",
    senderName: request.persona.name,
    messageType: "agent-message",
    format: "text",
    audio: null,
    audioMimeType: null,
    createdAt: startedAt.toISOString(),
  };
  await emit({ type: "stage", stage: "agent-started" });
  try {
    for await (const event of request.agent.runTurn(agentInput, { signal })) {
      switch (event.kind) {
        case "action":
          actions.push(event.action);
          await emit({ type: "agent-action", action: event.action });
          break;
        case "step-started":
          await emit({ type: "step-started", step: event });
          fillers?.stepStarted(event);
          break;
        case "step-ended":
          fillers?.stepEnded(event.stepId);
          await emit({ type: "step-ended", stepId: event.stepId });
          break;
        case "text-delta":
          // The answer has begun: no filler may follow it.
          fillers?.answerStarted();
          progress.text += event.text;
          await fragments.push(event.text);
          await reply.push(event.text);
          break;
        case "done": {
          progress.done = event;
          await fragments.finish();
          await emit({ type: "stage", stage: "agent-done", engine: event.answeredBy ?? request.agent.name });
          await reply.finish();
          signal.throwIfAborted();
          addMessage({
            id: agentMessageId,
            senderKind: "agent",
            senderName: request.persona.name,
            messageType: "agent-message",
            format: "text",
            content: event.fullMessage,
            createdAt: request.now().toISOString(),
          });
          return {
            conversation,
            interactionId,
            agentMessageId,
            startedAt: startedAt.toISOString(),
            messages,
            actions,
            fullMessage: event.fullMessage,
            nextState: event.nextState,
            currentStateName: event.currentStateName,
            conversationCompleted: event.conversationCompleted,
          };
        }
      }
    }
  } catch (error) {
    reply.abandon(error);
    throw error;
  } finally {
    fillers?.close();
  }
  throw new Error("The agent ended its turn without a result");
}

function fillerTimerOf(request: TurnRequest, messageId: string, emit: Emit): FillerTimer | undefined {
  const fillers = request.fillers;
  if (fillers === undefined || !fillers.settings.enabled) return undefined;
  const reply = request.reply;
  return new FillerTimer({
    settings: fillers.settings,
    voice:
      reply.format === "voice" ? { tts: reply.tts, voiceId: reply.voiceId, cache: fillers.cache } : undefined,
    signal: request.signal,
    emit: (filler) => emit({ type: "filler", messageId, ...filler }),
    onError: fillers.onError,
  });
}

/**
 * The spec's `engage-user-message-fragment-generated` actions, derived from the agent's text deltas:
 * one fragment per delta, held back by one so that the last can say `is_final`.
 */
class FragmentDeriver {
  private pending: string | undefined;
  private index = 0;

  constructor(private readonly emitAction: (action: AgentActionEvent["action"]) => Promise<void>) {}

  async push(text: string): Promise<void> {
    await this.flush(false);
    this.pending = text;
  }

  async finish(): Promise<void> {
    await this.flush(true);
  }

  private async flush(isFinal: boolean): Promise<void> {
    if (this.pending === undefined) return;
    const fragment = this.pending;
    this.pending = undefined;
    await this.emitAction({
      type: "engage-user-message-fragment-generated",
      index: this.index,
      fragment,
      is_final: isFinal,
    });
    this.index += 1;
  }
}

/**
 * The reply on its way out: text pieces held back by one (so that the last can say so), or utterances
 * from the speaker.
 */
class ReplyWriter {
  private pending: string | undefined;
  private sequence = 0;
  private firstText = true;
  private readonly speaker: ReplySpeaker | undefined;

  constructor(
    request: TurnRequest,
    private readonly messageId: string,
    private readonly emit: Emit,
    onSynthesisFailure: (error: unknown) => void,
  ) {
    const reply = request.reply;
    this.speaker =
      reply.format === "voice"
        ? new ReplySpeaker({
            tts: reply.tts,
            voiceId: reply.voiceId,
            signal: request.signal,
            emit: (utterance) => emit({ type: "reply-audio", messageId, utterance }),
            onFailure: onSynthesisFailure,
          })
        : undefined;
  }

  async push(text: string): Promise<void> {
    if (this.firstText) {
      this.firstText = false;
      await this.emit({ type: "stage", stage: "agent-first-text" });
    }
    if (this.speaker !== undefined) {
      this.speaker.push(text);
      return;
    }
    await this.flush(false);
    this.pending = text;
  }

  async finish(): Promise<void> {
    if (this.speaker !== undefined) await this.speaker.finish();
    else await this.flush(true);
  }

  abandon(error: unknown): void {
    this.speaker?.abandon(error);
  }

  private async flush(isLast: boolean): Promise<void> {
    if (this.pending === undefined) return;
    const text = this.pending;
    this.pending = undefined;
    await this.emit({ type: "reply-text", messageId: this.messageId, text, sequence: this.sequence, isLast });
    this.sequence += 1;
  }
}
