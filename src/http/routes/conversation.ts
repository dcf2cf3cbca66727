import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Conversation } from "../../domain/conversation.js";
import type { ConversationEvent } from "../../domain/turn-events.js";
import { AppError } from "../../lib/app-error.js";
import { authenticate, type Principal, requirePermission } from "../auth.js";
import { clientGoneSignal } from "../client-signal.js";
import { streamConversation } from "../conversation-stream.js";
import type { AppDeps, AppState } from "../deps.js";
import type { CreateConversationBody } from "../api-spec/request-types.js";
import { operationRequest } from "../operation.js";
import { pageOf } from "../request-helpers.js";
import type { RequestAudioConfig } from "../../engines/codec/types.js";
import { actionFilterFor, ensureNotInMaintenance } from "./conversation-guards.js";
import { conversationInstance, messageInstance } from "./conversation-views.js";
import { registerConversationExtras } from "./conversation-extras.js";
import { readInteraction } from "./conversation-interact.js";
import { replyAudioFormat } from "./voice-body.js";

type OrgParams = { organization: string };
type ConversationParams = OrgParams & { conversation_id: string };
type Query = Record<string, unknown>;

async function loadOwnConversation(
  deps: AppDeps,
  principal: Principal,
  conversationId: string,
): Promise<Conversation> {
  return deps.conversations.loadOwnConversation(principal, conversationId);
}

/** Streams a conversation's events as the answer, with the query's action filter and reply format. */
async function answerWithStream(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  principal: Principal,
  options: {
    statusCode: number;
    signal: AbortSignal;
    /** The validated query: `response_format` and `current_agent_action_type`. */
    query: Query;
  },
  events: (reply: "text" | "voice") => AsyncGenerator<ConversationEvent>,
): Promise<void> {
  const startedAt = performance.now();
  const { statusCode, signal, query } = options;
  const rawQuery = request.query as Query;
  const responseFormat = query.response_format as "text" | "voice";
  const filter = actionFilterFor(principal, query);
  const audioFormat = responseFormat === "voice" ? replyAudioFormat(request.headers.accept, rawQuery) : null;
  await streamConversation(reply, events(responseFormat), {
    statusCode,
    filter,
    audioFormat,
    latencyReportFrom: rawQuery.include_latency_report === "true" ? startedAt : undefined,
    observer: deps.metrics.observer("http", startedAt),
    signal,
    log: request.log,
  });
}

export function conversationRoutes(deps: AppDeps, state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = (request: FastifyRequest<{ Params: OrgParams }>) =>
      authenticate(deps, request, request.params.organization);

    app.post<{ Params: OrgParams }>("/v1/:organization/conversation/", async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:CreateConversation");
      ensureNotInMaintenance(deps);
      // The service counts this operation's rate limit (the WebSocket creates conversations too).
      const { query, body } = operationRequest<CreateConversationBody>(
        state,
        "create-conversation",
        principal,
        request,
      );
      const initialMessage = body.initial_message ?? null;
      const signal = clientGoneSignal(request, reply);
      await answerWithStream(
        deps,
        request,
        reply,
        principal,
        { statusCode: 201, signal, query },
        (replyFormat) =>
          deps.conversations.create(
            principal,
            {
              serviceId: body.service_id,
              versionSetName: body.service_version_set_name,
              initialMessage:
                initialMessage === null
                  ? null
                  : { kind: body.initial_message_type ?? "user-message", text: initialMessage },
              tags: body.tags,
            },
            { reply: replyFormat, signal },
          ),
      );
    });

    app.post<{ Params: ConversationParams }>(
      "/v1/:organization/conversation/:conversation_id/interact",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:InteractWithConversation");
        ensureNotInMaintenance(deps);
        // The body is read after these checks (streamed); the service counts the rate limit.
        const { params, query } = operationRequest(
          state,
          "interact-with-conversation",
          principal,
          request,
          request.params,
          { skipBody: true },
        );
        const signal = clientGoneSignal(request, reply);
        const input = await readInteraction(
          deps,
          state,
          request,
          query as { request_format: "text" | "voice"; request_audio_config?: RequestAudioConfig | null },
          signal,
        );
        await answerWithStream(
          deps,
          request,
          reply,
          principal,
          { statusCode: 200, signal, query },
          (replyFormat) =>
            deps.conversations.interact(principal, params.conversation_id!, input, {
              reply: replyFormat,
              signal,
            }),
        );
      },
    );

    app.get<{ Params: OrgParams }>("/v1/:organization/conversation/", async (request) => {
      const principal = await auth(request);
      const { query } = operationRequest(state, "get-conversations", principal, request);
      const requestedUsers = query.user_id as string[];
      const isAdmin = principal.user.roleName !== "DefaultUserRole";
      if (!isAdmin && requestedUsers.some((u) => u !== principal.user.id)) {
        throw new AppError("forbidden", "Missing permission to read other users' conversations");
      }
      const isFinished = query.is_finished as boolean | null | undefined;
      const page = await deps.store.listConversations(
        principal.organization.id,
        {
          ids: query.id as string[],
          serviceIds: query.service_id as string[],
          userIds: isAdmin ? requestedUsers : [principal.user.id],
          ...(isFinished == null ? {} : { isFinished }),
        },
        pageOf(query),
      );
      return {
        conversations: await Promise.all(page.items.map((c) => conversationInstance(deps.store, c))),
        has_more: page.hasMore,
        continuation_token: page.continuationToken,
      };
    });

    app.get<{ Params: ConversationParams }>(
      "/v1/:organization/conversation/:conversation_id/messages/",
      async (request) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:GetMessage");
        const { query } = operationRequest(state, "get-conversation-messages", principal, request);
        const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
        const page = await deps.store.listMessages(
          principal.organization.id,
          conversation.id,
          {
            ids: query.id as string[],
            interactionIds: query.interaction_id as string[],
            messageTypes: query.message_type as string[],
          },
          pageOf(query),
        );
        return {
          messages: page.items.map(messageInstance),
          has_more: page.hasMore,
          continuation_token: page.continuationToken,
        };
      },
    );

    app.post<{ Params: ConversationParams }>(
      "/v1/:organization/conversation/:conversation_id/finish/",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:FinishConversation");
        ensureNotInMaintenance(deps);
        operationRequest(state, "finish-conversation", principal, request);
        await deps.conversations.finish(principal, request.params.conversation_id);
        return reply.code(204).send();
      },
    );

    registerConversationExtras(app, deps, state, { auth, loadOwnConversation });
  };
}
