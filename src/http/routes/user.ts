import type { FastifyInstance, FastifyRequest } from "fastify";
import { newId } from "../../domain/ids.js";
import { isWithinPermissions } from "../../domain/permissions.js";
import { AppError } from "../../lib/app-error.js";
import type { User } from "../../store/types.js";
import { authenticate, requirePermission, requireUserPermission } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { listParam, pageParams, validationError } from "../request-helpers.js";

type OrgParams = { organization: string };
type UserParams = OrgParams & { requested_user_id: string };
type Body = Record<string, unknown> | undefined;

function nonEmptyString(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw validationError(["body", name], "is required");
    return undefined;
  }
  if (typeof value !== "string" || value.trim() === "")
    throw validationError(["body", name], "must be a non-empty string");
  return value.trim();
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
      preferred_language: user.preferredLanguage,
      conversations_visible_to_admins: true,
      user_model_visible_to_admins: true,
      timezone: user.timezone,
      audio_keyterms: [],
    },
    nonsensitive_variables: user.userModel,
    sensitive_variables: [],
    enable_actions_access: false,
  };
}

/** Users: invite, list, update, delete, user model. */
export function userRoutes(deps: AppDeps, _state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = (request: FastifyRequest<{ Params: OrgParams }>) =>
      authenticate(deps, request, request.params.organization);

    app.post<{ Params: OrgParams; Body: Body }>("/v1/:organization/user/", async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "User:InviteUser");
      const body = request.body ?? {};
      const email = nonEmptyString(body, "email", true)!;
      if (!/^[^@\s]+@[^@\s]+$/.test(email))
        throw validationError(["body", "email"], "must be an email address");
      const roleName = nonEmptyString(body, "role_name", true)!;
      const role = await deps.store.getRole(principal.organization.id, roleName);
      if (role === undefined) {
        throw new AppError("not_found", `Role ${roleName} not found`);
      }
      // Nobody grants what they do not hold: an inviter cannot create a more permissive user.
      if (!isWithinPermissions(role.permissions, principal.permissions)) {
        throw new AppError("forbidden", `Missing permissions to invite a user with the role ${roleName}`);
      }
      if (await deps.store.findUserByEmail(principal.organization.id, email)) {
        throw new AppError("conflict", "A user with this email already exists");
      }
      const preferences = (body.user_preferences ?? {}) as Record<string, unknown>;
      const user: User = {
        id: newId(),
        organizationId: principal.organization.id,
        email,
        firstName: nonEmptyString(body, "first_name", true)!,
        lastName: nonEmptyString(body, "last_name", true)!,
        roleName,
        preferredLanguage:
          typeof preferences.preferred_language === "string" ? preferences.preferred_language : "eng",
        timezone: typeof preferences.timezone === "string" ? preferences.timezone : "UTC",
        userModel: (body.nonsensitive_user_variables ?? {}) as Record<string, unknown>,
        createdAt: deps.now().toISOString(),
      };
      await deps.store.createUser(user);
      return reply.code(201).send({ user_id: user.id, verify_link: null });
    });

    app.get<{ Params: OrgParams; Querystring: Record<string, unknown> }>(
      "/v1/:organization/user/",
      async (request) => {
        const principal = await auth(request);
        requirePermission(principal, "User:GetUserInfo");
        const isAdmin = principal.user.roleName !== "DefaultUserRole";
        const userIds = listParam(request.query, "user_id");
        const page = await deps.store.listUsers(
          principal.organization.id,
          { userIds: isAdmin ? userIds : [principal.user.id], emails: listParam(request.query, "email") },
          pageParams(request.query),
        );
        return {
          users: await Promise.all(page.items.map((u) => userInstance(deps, u))),
          has_more: page.hasMore,
          continuation_token: page.continuationToken,
        };
      },
    );

    const loadTarget = async (orgId: string, userId: string) => {
      const user = await deps.store.getUser(orgId, userId);
      if (user === undefined) throw new AppError("not_found", `User ${userId} not found`);
      return user;
    };

    app.post<{ Params: UserParams; Body: Body }>(
      "/v1/:organization/user/:requested_user_id",
      async (request, reply) => {
        const principal = await auth(request);
        requireUserPermission(principal, request.params.requested_user_id, "User:UpdateUserInfo");
        const user = await loadTarget(principal.organization.id, request.params.requested_user_id);
        const body = request.body ?? {};
        const updated: User = {
          ...user,
          firstName: nonEmptyString(body, "first_name", false) ?? user.firstName,
          lastName: nonEmptyString(body, "last_name", false) ?? user.lastName,
          preferredLanguage: nonEmptyString(body, "preferred_language", false) ?? user.preferredLanguage,
          timezone: nonEmptyString(body, "timezone", false) ?? user.timezone,
        };
        await deps.store.updateUser(updated);
        return reply.code(204).send();
      },
    );

    app.delete<{ Params: UserParams }>(
      "/v1/:organization/user/:requested_user_id",
      async (request, reply) => {
        const principal = await auth(request);
        requireUserPermission(principal, request.params.requested_user_id, "User:UpdateUserInfo");
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
