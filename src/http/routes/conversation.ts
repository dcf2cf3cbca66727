import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Conversation } from "../../domain/conversation.js";
import type { ConversationEvent } from "../../domain/turn-events.js";
import { AppError } from "../../lib/app-error.js";
import { authenticate, type Principal, requirePermission } from "../auth.js";
import { clientGoneSignal } from "../client-signal.js";
import { streamConversation } from "../conversation-stream.js";
import type { AppDeps } from "../deps.js";
import {
  booleanParam,
  idListParam,
  pageParams,
  requireId,
  validationError,
  textOf,
} from "../request-helpers.js";
import { actionFilterFor, ensureNotInMaintenance, responseFormatOf } from "./conversation-guards.js";
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
  requireId(conversationId, ["path", "conversation_id"]);
  return deps.conversations.loadOwnConversation(principal, conversationId);
}

/** Streams a conversation's events as the answer, with the query's action filter and reply format. */
async function answerWithStream(
  deps: AppDeps,
  request: FastifyRequest<{ Querystring: Query }>,
  reply: FastifyReply,
  principal: Principal,
  statusCode: number,
  signal: AbortSignal,
  events: (reply: "text" | "voice") => AsyncGenerator<ConversationEvent>,
): Promise<void> {
  const startedAt = performance.now();
  const query = request.query;
  const responseFormat = responseFormatOf(query);
  const filter = actionFilterFor(principal, query);
  const audioFormat = responseFormat === "voice" ? replyAudioFormat(request.headers.accept, query) : null;
  await streamConversation(reply, events(responseFormat), {
    statusCode,
    filter,
    audioFormat,
    latencyReportFrom: query.include_latency_report === "true" ? startedAt : undefined,
    observer: deps.metrics.observer("http", startedAt),
    signal,
    log: request.log,
  });
}

export function conversationRoutes(deps: AppDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = (request: FastifyRequest<{ Params: OrgParams }>) =>
      authenticate(deps, request, request.params.organization);

    app.post<{ Params: OrgParams; Querystring: Query; Body: Record<string, unknown> | undefined }>(
      "/v1/:organization/conversation/",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:CreateConversation");
        ensureNotInMaintenance(deps);
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
        const signal = clientGoneSignal(request, reply);
        await answerWithStream(deps, request, reply, principal, 201, signal, (replyFormat) =>
          deps.conversations.create(
            principal,
            {
              serviceId,
              versionSetName,
              initialMessage:
                typeof initialMessage === "string" ? { kind: initialType, text: initialMessage } : null,
              tags,
            },
            { reply: replyFormat, signal },
          ),
        );
      },
    );

    app.post<{ Params: ConversationParams; Querystring: Query; Body: unknown }>(
      "/v1/:organization/conversation/:conversation_id/interact",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Conversation:InteractWithConversation");
        ensureNotInMaintenance(deps);
        const conversationId = requireId(request.params.conversation_id, ["path", "conversation_id"]);
        const requestFormat = responseFormatOf(request.query, "request_format");
        responseFormatOf(request.query);
        const signal = clientGoneSignal(request, reply);
        const input = await readInteraction(deps, request, requestFormat, signal);
        await answerWithStream(deps, request, reply, principal, 200, signal, (replyFormat) =>
          deps.conversations.interact(principal, conversationId, input, { reply: replyFormat, signal }),
        );
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
        const conversationId = requireId(request.params.conversation_id, ["path", "conversation_id"]);
        await deps.conversations.finish(principal, conversationId);
        return reply.code(204).send();
      },
    );

    registerConversationExtras(app, deps, { auth, loadOwnConversation });
  };
}
