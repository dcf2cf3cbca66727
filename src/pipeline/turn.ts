import type {
  AgentActionEvent,
  AgentEngine,
  AgentPersona,
  AgentStepStarted,
  AgentTurnInput,
  ContextGraph,
} from "../engines/agent/types.js";
import { newId } from "../domain/ids.js";
import type { Conversation, Message, Store, User } from "../store/types.js";

/** The user's side of a turn: a message (text or a voice note's transcript), or nothing (agent speaks). */
export interface TurnUserInput {
  kind: "user-message" | "external-event";
  text: string;
  format: "text" | "voice";
  /** The recording of a voice message, kept as the message's source. */
  audio?: { bytes: Uint8Array; mimeType: string };
}

export interface TurnRequest {
  store: Store;
  agent: AgentEngine;
  conversation: Conversation;
  user: User;
  persona: AgentPersona;
  graph: ContextGraph;
  userInput: TurnUserInput | null;
  /** External events inserted before the user message, oldest first. */
  externalEvents: { text: string; timestamp: string }[];
  isReturningUser: boolean;
  now: () => Date;
  signal: AbortSignal;
  /** Awaited after the agent has finished and before anything is stored (e.g. until the reply is spoken). */
  beforeCommit?: () => Promise<void>;
}

/** What a turn produces, transport-free; the HTTP and WebSocket edges turn these into wire events. */
export type TurnEvent =
  | { type: "user-message"; messageId: string; text: string }
  | { type: "agent-action"; action: AgentActionEvent["action"] }
  | { type: "step-started"; step: AgentStepStarted }
  | { type: "step-ended"; stepId: string }
  | { type: "reply-piece"; messageId: string; text: string }
  | {
      type: "complete";
      interactionId: string;
      messageId: string;
      fullMessage: string;
      conversationCompleted: boolean;
    };

/**
 * Runs one interaction. Nothing is written until the agent has finished: then one transaction stores
 * the messages, the interaction and the conversation's new state, and only after that the `complete`
 * event is yielded. An error or an abort before that leaves the store untouched.
 */
export async function* runTurn(request: TurnRequest): AsyncGenerator<TurnEvent> {
  const { store, conversation, signal } = request;
  const interactionId = newId();
  const agentMessageId = newId();
  const startedAt = request.now();
  const messages: Message[] = [];
  const baseSequence = (await store.conversationMessageStats(conversation.organizationId, conversation.id))
    .count;

  const addMessage = (
    fields: Pick<Message, "id" | "senderKind" | "senderName" | "messageType" | "format" | "content"> & {
      audio?: { bytes: Uint8Array; mimeType: string } | undefined;
      createdAt: string;
    },
  ) => {
    messages.push({
      id: fields.id,
      organizationId: conversation.organizationId,
      conversationId: conversation.id,
      interactionId,
      sequence: baseSequence + messages.length,
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
  if (request.userInput !== null) {
    const userMessageId = newId();
    addMessage({
      id: userMessageId,
      senderKind: request.userInput.kind === "user-message" ? "user" : "system",
      senderName: request.userInput.kind === "user-message" ? userName : "external event",
      messageType: request.userInput.kind,
      format: request.userInput.format,
      content: request.userInput.text,
      audio: request.userInput.audio,
      createdAt: startedAt.toISOString(),
    });
    yield { type: "user-message", messageId: userMessageId, text: request.userInput.text };
  }

  const agentInput: AgentTurnInput = {
    conversationId: conversation.id,
    persona: request.persona,
    graph: request.graph,
    state: conversation.agentState,
    userMessage:
      request.userInput === null
        ? request.externalEvents.length > 0
          ? { kind: "external-event", text: request.externalEvents.map((e) => e.text).join("\n") }
          : null
        : { kind: request.userInput.kind, text: request.userInput.text },
    isReturningUser: request.isReturningUser,
    user: {
      firstName: request.user.firstName,
      lastName: request.user.lastName,
      timezone: request.user.timezone,
      preferredLanguage: request.user.preferredLanguage,
    },
    now: startedAt,
  };

  const actions: AgentActionEvent["action"][] = [];
  for await (const event of request.agent.runTurn(agentInput, { signal })) {
    switch (event.kind) {
      case "action":
        actions.push(event.action);
        yield { type: "agent-action", action: event.action };
        break;
      case "step-started":
        yield { type: "step-started", step: event };
        break;
      case "step-ended":
        yield { type: "step-ended", stepId: event.stepId };
        break;
      case "text-delta":
        yield { type: "reply-piece", messageId: agentMessageId, text: event.text };
        break;
      case "done": {
        signal.throwIfAborted();
        await request.beforeCommit?.();
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
        const sequence = await store.countInteractions(conversation.organizationId, conversation.id);
        await store.commitInteraction(conversation.organizationId, {
          interaction: {
            id: interactionId,
            organizationId: conversation.organizationId,
            conversationId: conversation.id,
            sequence,
            stateName: event.currentStateName,
            insights: { actions, started_at: startedAt.toISOString() },
            createdAt: startedAt.toISOString(),
          },
          messages,
          conversationUpdate: {
            agentState: event.nextState,
            isFinished: event.conversationCompleted,
            updatedAt: request.now().toISOString(),
          },
        });
        yield {
          type: "complete",
          interactionId,
          messageId: agentMessageId,
          fullMessage: event.fullMessage,
          conversationCompleted: event.conversationCompleted,
        };
        return;
      }
    }
  }
  throw new Error("The agent ended its turn without a result");
}
