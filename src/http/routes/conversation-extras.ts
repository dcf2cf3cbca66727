import type { FastifyInstance, FastifyRequest } from "fastify";
import { asGraphBody } from "../../domain/context-graph.js";
import { AppError } from "../../lib/app-error.js";
import type { Conversation } from "../../store/types.js";
import { type Principal, requirePermission } from "../auth.js";
import type { AppDeps } from "../deps.js";
import { requireId, validationError, textOf } from "../request-helpers.js";
import { loadConversationContext, loadServiceContext } from "../../conversation/context.js";
import { ensureNotInMaintenance } from "./conversation-guards.js";

type OrgParams = { organization: string };
type ConversationParams = OrgParams & { conversation_id: string };
type InteractionParams = ConversationParams & { interaction_id: string };

interface Helpers {
  auth: (request: FastifyRequest<{ Params: OrgParams }>) => Promise<Principal>;
  loadOwnConversation: (deps: AppDeps, principal: Principal, conversationId: string) => Promise<Conversation>;
}

/** Insights, recommended responses, message sources, conversation starters and tags. */
export function registerConversationExtras(app: FastifyInstance, deps: AppDeps, helpers: Helpers): void {
  const { auth, loadOwnConversation } = helpers;

  const loadInteraction = async (principal: Principal, params: InteractionParams) => {
    const conversation = await loadOwnConversation(deps, principal, params.conversation_id);
    requireId(params.interaction_id, ["path", "interaction_id"]);
    const interaction = await deps.store.getInteraction(
      principal.organization.id,
      conversation.id,
      params.interaction_id,
    );
    if (interaction === undefined)
      throw new AppError("not_found", `Interaction ${params.interaction_id} not found`);
    return { conversation, interaction };
  };

  app.get<{ Params: InteractionParams }>(
    "/v1/:organization/conversation/:conversation_id/interaction/:interaction_id/insights",
    async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:GetInteractionInsights");
      const { conversation, interaction } = await loadInteraction(principal, request.params);
      const context = await loadConversationContext(deps.store, conversation);
      const state = asGraphBody(context.graph.body).states.find((s) => s.name === interaction.stateName);
      return {
        current_state_name: interaction.stateName,
        current_state_action: state?.actions?.[0] ?? "",
        current_state_objective: state?.objective ?? "",
        state_transition_logs: [],
        working_memory: [],
        reflections: [],
        triggered_dynamic_behavior_set_version_info: null,
        select_next_action_tool_call_logs: [],
        engage_user_tool_call_logs: [],
      };
    },
  );

  app.post<{ Params: InteractionParams; Body: { context?: unknown } | undefined }>(
    "/v1/:organization/conversation/:conversation_id/interaction/:interaction_id/recommend_responses",
    async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:GetRecommendedResponses");
      ensureNotInMaintenance(deps);
      const { conversation } = await loadInteraction(principal, request.params);
      const context = await loadConversationContext(deps.store, conversation);
      const expected = deps.engines.agent.expectedUserReplies?.(context.graph, conversation.agentState);
      return { recommended_responses: (expected ?? []).slice(0, 5) };
    },
  );

  app.get<{ Params: ConversationParams & { message_id: string } }>(
    "/v1/:organization/conversation/:conversation_id/messages/:message_id/source",
    async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:GetMessage");
      const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
      requireId(request.params.message_id, ["path", "message_id"]);
      const message = await deps.store.getMessage(
        principal.organization.id,
        conversation.id,
        request.params.message_id,
      );
      if (message === undefined)
        throw new AppError("not_found", `Message ${request.params.message_id} not found`);
      if (message.format === "text" || message.audio === null) {
        throw new AppError("bad_request", "The message is a text message");
      }
      return reply
        .header("content-type", message.audioMimeType ?? "application/octet-stream")
        .send(Buffer.from(message.audio));
    },
  );

  app.post<{ Params: OrgParams; Body: Record<string, unknown> | undefined }>(
    "/v1/:organization/conversation/conversation_starter",
    async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:CreateConversation");
      const body = request.body ?? {};
      const serviceId = requireId(textOf(body.service_id), ["body", "service_id"]);
      const minCount = Number(body.min_count ?? 1);
      const maxCount = Number(body.max_count ?? 3);
      if (!Number.isInteger(minCount) || !Number.isInteger(maxCount) || minCount < 0 || maxCount < minCount) {
        throw validationError(["body", "max_count"], "must be an integer not below min_count");
      }
      const facets = Array.isArray(body.facets) ? body.facets.map(String) : [];
      const context = await loadServiceContext(
        deps.store,
        principal.organization.id,
        serviceId,
        typeof body.service_version_set_name === "string" ? body.service_version_set_name : "release",
      );
      // Offline starters: the objectives of the graph's action states, phrased as the user's request.
      const objectives = asGraphBody(context.graph.body)
        .states.filter((s) => s.type === "action" && s.objective !== undefined)
        .map((s) => s.objective ?? "");
      const prompts = objectives
        .slice(0, Math.max(minCount, Math.min(maxCount, objectives.length)))
        .map((objective, i) => ({
          prompt: `I'd like help: ${objective.charAt(0).toLowerCase()}${objective.slice(1)}`,
          facets: facets.length > 0 ? [facets[i % facets.length]!] : [],
        }));
      return { prompts };
    },
  );

  app.post<{ Params: ConversationParams; Body: { updates?: unknown; deletes?: unknown } | undefined }>(
    "/v1/:organization/conversation/:conversation_id/tags/",
    async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:ModifyConversation");
      const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
      const body = request.body ?? {};
      const updates = (body.updates ?? {}) as Record<string, string | null>;
      const deletes = Array.isArray(body.deletes) ? body.deletes.map(String) : [];
      if (typeof updates !== "object" || Array.isArray(updates)) {
        throw validationError(["body", "updates"], "must be an object");
      }
      const tags = { ...conversation.tags, ...updates };
      for (const key of deletes) delete tags[key];
      if (Object.keys(tags).length > 20)
        throw new AppError("bad_request", "A conversation cannot have more than 20 tags");
      await deps.store.setConversationTags(
        principal.organization.id,
        conversation.id,
        tags,
        deps.now().toISOString(),
      );
      return reply.code(204).send();
    },
  );
}
