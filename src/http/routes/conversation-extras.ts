import type { FastifyInstance, FastifyRequest } from "fastify";
import { asGraphBody } from "../../domain/context-graph.js";
import { AppError } from "../../lib/app-error.js";
import type { Conversation } from "../../store/types.js";
import { type Principal, requirePermission } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import type { GenerateConversationStarterBody, ModifyTagsBody } from "../api-spec/request-types.js";
import { validationFailure } from "../api-spec/request-validator.js";
import { operationRequest } from "../operation.js";
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
export function registerConversationExtras(
  app: FastifyInstance,
  deps: AppDeps,
  state: AppState,
  helpers: Helpers,
): void {
  const { auth, loadOwnConversation } = helpers;

  const loadInteraction = async (principal: Principal, params: InteractionParams) => {
    const conversation = await loadOwnConversation(deps, principal, params.conversation_id);
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
      operationRequest(state, "get-interaction-insights", principal, request);
      const { conversation, interaction } = await loadInteraction(principal, request.params);
      const context = await loadConversationContext(deps.store, conversation);
      const graphState = asGraphBody(context.graph.body).states.find((s) => s.name === interaction.stateName);
      return {
        current_state_name: interaction.stateName,
        current_state_action: graphState?.actions?.[0] ?? "",
        current_state_objective: graphState?.objective ?? "",
        state_transition_logs: [],
        working_memory: [],
        reflections: [],
        triggered_dynamic_behavior_set_version_info: null,
        select_next_action_tool_call_logs: [],
        engage_user_tool_call_logs: [],
      };
    },
  );

  app.post<{ Params: InteractionParams }>(
    "/v1/:organization/conversation/:conversation_id/interaction/:interaction_id/recommend_responses",
    async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:GetRecommendedResponses");
      ensureNotInMaintenance(deps);
      operationRequest(state, "recommend-responses-for-interaction", principal, request);
      const { conversation, interaction } = await loadInteraction(principal, request.params);
      // The spec's 400: a finished conversation, or an interaction other than the latest completed one.
      if (conversation.isFinished) throw new AppError("bad_request", "The conversation is finished");
      // Interactions count their sequence from 0, so the latest one is numbered one below the count.
      const count = await deps.store.countInteractions(principal.organization.id, conversation.id);
      if (interaction.sequence !== count - 1) {
        throw new AppError("bad_request", "The interaction is not the latest completed interaction");
      }
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
      operationRequest(state, "retrieve-message-source", principal, request);
      const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
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

  app.post<{ Params: OrgParams }>("/v1/:organization/conversation/conversation_starter", async (request) => {
    const principal = await auth(request);
    requirePermission(principal, "Conversation:CreateConversation");
    const { body } = operationRequest<GenerateConversationStarterBody>(
      state,
      "generate-conversation-starter",
      principal,
      request,
    );
    const { min_count: minCount, max_count: maxCount, facets } = body;
    if (maxCount < minCount) {
      throw validationFailure([
        { loc: ["body", "max_count"], msg: "must not be below min_count", type: "value_error" },
      ]);
    }
    const context = await loadServiceContext(
      deps.store,
      principal.organization.id,
      body.service_id,
      body.service_version_set_name,
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
  });

  app.post<{ Params: ConversationParams }>(
    "/v1/:organization/conversation/:conversation_id/tags/",
    async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "Conversation:ModifyConversation");
      const { body } = operationRequest<ModifyTagsBody>(
        state,
        "modify-tags-of-conversation",
        principal,
        request,
      );
      const conversation = await loadOwnConversation(deps, principal, request.params.conversation_id);
      const tags = { ...conversation.tags, ...body.updates };
      for (const key of body.deletes) delete tags[key];
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
