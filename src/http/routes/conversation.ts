import type { FastifyInstance, FastifyRequest } from "fastify";
import { newId } from "../../domain/ids.js";
import { AppError } from "../../lib/app-error.js";
import type { TurnUserInput } from "../../pipeline/turn.js";
import type { Conversation } from "../../store/types.js";
import { authenticate, type Principal, requirePermission } from "../auth.js";
import { clientGoneSignal } from "../client-signal.js";
import type { AppDeps, AppState } from "../deps.js";
import {
  booleanParam,
  idListParam,
  pageParams,
  requireId,
  validationError,
  textOf,
} from "../request-helpers.js";
import { loadServiceContext } from "./conversation-context.js";
import {
  actionFilterFor,
  claimConversation,
  countInteraction,
  ensureNotInMaintenance,
  responseFormatOf,
} from "./conversation-guards.js";
import { conversationInstance, messageInstance } from "./conversation-views.js";
import { registerConversationExtras } from "./conversation-extras.js";
import { interact } from "./conversation-interact.js";
import { LatencyMarks } from "./latency-report.js";
import { checkVoiceReplyPossible, streamInteraction } from "./stream-interaction.js";
import { replyAudioFormat } from "./voice-body.js";

type OrgParams = { organization: string };
type ConversationParams = OrgParams & { conversation_id: string };
type Query = Record<string, unknown>;

async function loadOwnConversation(
  deps: AppDeps,
  principal: Principal,
  conversationId: string,
): Promise<Conversation> {
  requireId(conversationId, ["path", "conversation_id"]);
  const conversation = await deps.store.getConversation(principal.organization.id, conversationId);
  // Another user's conversation is only visible to administrative roles.
  const visible =
    conversation !== undefined &&
    (conversation.userId === principal.user.id || principal.user.roleName !== "DefaultUserRole");
  if (!visible) throw new AppError("not_found", `Conversation ${conversationId} not found`);
  return conversation;
}

export function conversationRoutes(deps: AppDeps, state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = (request: FastifyRequest<{ Params: OrgParams }>) =>
      authenticate(deps, request, request.params.organization);

    app.post<{ Params: OrgParams; Querystring: Query; Body: Record<string, unknown> | undefined }>(
      "/v1/:organization/conversation/",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:CreateConversation");
        ensureNotInMaintenance(deps);
        const query = request.query;
        const marks = new LatencyMarks();
        const responseFormat = responseFormatOf(query);
        const filter = actionFilterFor(principal, query);
        const body = request.body ?? {};
        const serviceId = requireId(textOf(body.service_id), ["body", "service_id"]);
        const versionSetName =
          typeof body.service_version_set_name === "string" ? body.service_version_set_name : "release";
        const initialMessage = body.initial_message;
        if (
          initialMessage !== undefined &&
          initialMessage !== null &&
          (typeof initialMessage !== "string" || initialMessage.trim() === "")
        ) {
          throw validationError(["body", "initial_message"], "must be a non-empty string");
        }
        const initialType = body.initial_message_type ?? "user-message";
        if (initialType !== "user-message" && initialType !== "external-event") {
          throw validationError(["body", "initial_message_type"], "must be user-message or external-event");
        }
        const tags = (body.tags ?? {}) as Record<string, string | null>;
        if (typeof tags !== "object" || Array.isArray(tags))
          throw validationError(["body", "tags"], "must be an object");

        const context = await loadServiceContext(
          deps.store,
          principal.organization.id,
          serviceId,
          versionSetName,
        );
        if (responseFormat === "voice") checkVoiceReplyPossible(principal, context);
        const replyAudio =
          responseFormat === "voice" ? replyAudioFormat(request.headers.accept, query) : null;
        const userInput: TurnUserInput | null =
          typeof initialMessage === "string"
            ? { kind: initialType, text: initialMessage, format: "text" }
            : null;
        const claimKey = `create:${principal.organization.id}:${principal.user.id}:${serviceId}`;
        const signal = clientGoneSignal(request, reply);
        const release = claimConversation(state, claimKey, reply.raw);
        try {
          if (
            await deps.store.findUnfinishedConversation(
              principal.organization.id,
              principal.user.id,
              serviceId,
            )
          ) {
            throw new AppError(
              "conflict",
              "The user already has an unfinished conversation with this service",
            );
          }
          countInteraction(state, principal);
          const now = deps.now().toISOString();
          const conversation: Conversation = {
            id: newId(),
            organizationId: principal.organization.id,
            userId: principal.user.id,
            serviceId,
            versionSetName,
            isFinished: false,
            agentState: null,
            tags,
            createdAt: now,
            updatedAt: now,
          };
          const isReturningUser =
            (await deps.store.countFinishedConversations(
              principal.organization.id,
              principal.user.id,
              serviceId,
            )) > 0;
          await deps.store.createConversation(conversation);
          const completed = await streamInteraction(deps, request, reply, {
            principal,
            conversation,
            context,
            userInput,
            externalEvents: [],
            isReturningUser,
            filter,
            statusCode: 201,
            replyAudio,
            marks,
            includeLatencyReport: query.include_latency_report === "true",
            leadingEvents: [{ type: "conversation-created", conversation_id: conversation.id }],
            signal,
          });
          // A conversation whose opening turn failed is not kept.
          if (!completed) await deps.store.deleteConversation(principal.organization.id, conversation.id);
        } finally {
          release();
        }
      },
    );

    app.post<{ Params: ConversationParams; Querystring: Query; Body: unknown }>(
      "/v1/:organization/conversation/:conversation_id/interact",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:InteractWithConversation");
        ensureNotInMaintenance(deps);
        const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
        await interact(deps, state, request, reply, principal, conversation);
      },
    );

    app.get<{ Params: OrgParams; Querystring: Query }>("/v1/:organization/conversation/", async (request) => {
      const principal = await auth(request);
      const query = request.query;
      const requestedUsers = query.user_id === undefined ? [] : [query.user_id].flat().map(String);
      const isAdmin = principal.user.roleName !== "DefaultUserRole";
      if (!isAdmin && requestedUsers.some((u) => u !== principal.user.id)) {
        throw new AppError("forbidden", "Missing permission to read other users' conversations");
      }
      const isFinished = booleanParam(query, "is_finished");
      const page = await deps.store.listConversations(
        principal.organization.id,
        {
          ids: idListParam(query, "id"),
          serviceIds: idListParam(query, "service_id"),
          userIds: isAdmin ? requestedUsers : [principal.user.id],
          ...(isFinished === undefined ? {} : { isFinished }),
        },
        pageParams(query),
      );
      return {
        conversations: await Promise.all(page.items.map((c) => conversationInstance(deps.store, c))),
        has_more: page.hasMore,
        continuation_token: page.continuationToken,
      };
    });

    app.get<{ Params: ConversationParams; Querystring: Query }>(
      "/v1/:organization/conversation/:conversation_id/messages/",
      async (request) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:GetMessage");
        const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
        const query = request.query;
        const messageTypes = [query.message_type ?? []].flat().map(String);
        const page = await deps.store.listMessages(
          principal.organization.id,
          conversation.id,
          {
            ids: idListParam(query, "id"),
            interactionIds: idListParam(query, "interaction_id"),
            messageTypes,
          },
          pageParams(query),
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
        const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
        if (conversation.isFinished) throw new AppError("conflict", "The conversation is already finished");
        if (state.busyConversations.has(conversation.id)) {
          throw new AppError("conflict", "An interaction on this conversation is in progress");
        }
        if ((await deps.store.countInteractions(principal.organization.id, conversation.id)) === 0) {
          throw new AppError("bad_request", "The conversation has no interactions");
        }
        await deps.store.setConversationFinished(
          principal.organization.id,
          conversation.id,
          deps.now().toISOString(),
        );
        return reply.code(204).send();
      },
    );

    registerConversationExtras(app, deps, { auth, loadOwnConversation });
  };
}
