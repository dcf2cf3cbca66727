import type { FastifyInstance, FastifyRequest } from "fastify";
import { newId } from "../../domain/ids.js";
import { isWithinPermissions } from "../../domain/permissions.js";
import { AppError } from "../../lib/app-error.js";
import type { User } from "../../store/types.js";
import { authenticate, requirePermission, requireUserPermission } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import type { CreateInvitedUserBody, NotSet, UpdateUserInfoBody } from "../api-spec/request-types.js";
import { operationRequest } from "../operation.js";
import { pageOf } from "../request-helpers.js";

type OrgParams = { organization: string };
type UserParams = OrgParams & { requested_user_id: string };

/** The value an update asks for: `undefined` (absent, `null` where null means "not modified", or `_NotSet`). */
function updated(value: string | null | undefined): string | undefined {
  return typeof value === "string" ? value.trim() : undefined;
}

/** A preference the spec lets a client erase with `null` (stored as ""), or leave as is with `_NotSet`. */
function erasable(value: string | NotSet | null, current: string): string {
  if (value === null) return "";
  return typeof value === "string" ? value : current;
}

/** The spec's UserInstance. */
async function userInstance(deps: AppDeps, user: User) {
  const conversations = await deps.store.listConversations(
    user.organizationId,
    { userIds: [user.id] },
    { limit: 100, continuationToken: 0, sortBy: [] },
  );
  return {
    org_id: user.organizationId,
    user_id: user.id,
    first_name: user.firstName,
    last_name: user.lastName,
    email: user.email,
    user_stats: { num_conversations: conversations.items.length, num_messages: 0, last_message_time: null },
    role: user.roleName,
    preferences: {
      enable_response_recommendation: false,
      preferred_language: user.preferredLanguage === "" ? null : user.preferredLanguage,
      conversations_visible_to_admins: true,
      user_model_visible_to_admins: true,
      timezone: user.timezone === "" ? null : user.timezone,
      audio_keyterms: [],
    },
    nonsensitive_variables: user.userModel,
    sensitive_variables: [],
    enable_actions_access: false,
  };
}

/** Users: invite, list, update, delete, user model. */
export function userRoutes(deps: AppDeps, state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = (request: FastifyRequest<{ Params: OrgParams }>) =>
      authenticate(deps, request, request.params.organization);

    app.post<{ Params: OrgParams }>("/v1/:organization/user/", async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "User:InviteUser");
      const { body } = operationRequest<CreateInvitedUserBody>(
        state,
        "create-invited-user",
        principal,
        request,
      );
      const email = body.email.trim();
      const role = await deps.store.getRole(principal.organization.id, body.role_name);
      if (role === undefined) {
        throw new AppError("not_found", `Role ${body.role_name} not found`);
      }
      // Nobody grants what they do not hold: an inviter cannot create a more permissive user.
      if (!isWithinPermissions(role.permissions, principal.permissions)) {
        throw new AppError(
          "forbidden",
          `Missing permissions to invite a user with the role ${body.role_name}`,
        );
      }
      if (await deps.store.findUserByEmail(principal.organization.id, email)) {
        throw new AppError("conflict", "A user with this email already exists");
      }
      const preferences = body.user_preferences ?? {};
      const user: User = {
        id: newId(),
        organizationId: principal.organization.id,
        email,
        firstName: body.first_name.trim(),
        lastName: body.last_name.trim(),
        roleName: body.role_name,
        preferredLanguage:
          preferences.preferred_language === null ? "" : (preferences.preferred_language ?? "eng"),
        timezone: preferences.timezone === null ? "" : (preferences.timezone ?? "UTC"),
        userModel: body.nonsensitive_user_variables,
        createdAt: deps.now().toISOString(),
      };
      await deps.store.createUser(user);
      return reply.code(201).send({ user_id: user.id, verify_link: null });
    });

    app.get<{ Params: OrgParams }>("/v1/:organization/user/", async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "User:GetUserInfo");
      const { query } = operationRequest(state, "get-users", principal, request);
      const isAdmin = principal.user.roleName !== "DefaultUserRole";
      const page = await deps.store.listUsers(
        principal.organization.id,
        {
          userIds: isAdmin ? (query.user_id as string[]) : [principal.user.id],
          emails: query.email as string[],
        },
        pageOf(query),
      );
      return {
        users: await Promise.all(page.items.map((u) => userInstance(deps, u))),
        has_more: page.hasMore,
        continuation_token: page.continuationToken,
      };
    });

    const loadTarget = async (orgId: string, userId: string) => {
      const user = await deps.store.getUser(orgId, userId);
      if (user === undefined) throw new AppError("not_found", `User ${userId} not found`);
      return user;
    };

    app.post<{ Params: UserParams }>("/v1/:organization/user/:requested_user_id", async (request, reply) => {
      const principal = await auth(request);
      requireUserPermission(principal, request.params.requested_user_id, "User:UpdateUserInfo");
      const { body } = operationRequest<UpdateUserInfoBody>(state, "update-user-info", principal, request);
      const user = await loadTarget(principal.organization.id, request.params.requested_user_id);
      await deps.store.updateUser({
        ...user,
        firstName: updated(body.first_name) ?? user.firstName,
        lastName: updated(body.last_name) ?? user.lastName,
        preferredLanguage: erasable(body.preferred_language, user.preferredLanguage),
        timezone: erasable(body.timezone, user.timezone),
      });
      return reply.code(204).send();
    });

    app.delete<{ Params: UserParams }>(
      "/v1/:organization/user/:requested_user_id",
      async (request, reply) => {
        const principal = await auth(request);
        requireUserPermission(principal, request.params.requested_user_id, "User:UpdateUserInfo");
        operationRequest(state, "delete-user", principal, request);
        await loadTarget(principal.organization.id, request.params.requested_user_id);
        await deps.store.deleteUser(principal.organization.id, request.params.requested_user_id);
        return reply.code(204).send();
      },
    );

    app.get<{ Params: OrgParams & { user_id: string } }>(
      "/v1/:organization/user/:user_id/user_model",
      async (request) => {
        const principal = await auth(request);
        requireUserPermission(principal, request.params.user_id, "User:GetUserModel");
        operationRequest(state, "get-user-model", principal, request);
        const user = await loadTarget(principal.organization.id, request.params.user_id);
        const content = Object.entries(user.userModel)
          .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
          .join("\n");
        return {
          user_models: content === "" ? [] : [{ content, insight_ids: [], dimensions: [] }],
          additional_context: [],
        };
      },
    );
  };
}
