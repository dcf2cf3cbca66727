import type { FastifyInstance } from "fastify";
import { isId } from "../../domain/ids.js";
import { isWithinPermissions } from "../../domain/permissions.js";
import { AppError } from "../../lib/app-error.js";
import type { ApiKey, User } from "../../store/types.js";
import { resolveOrganization } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { operationRequest } from "../operation.js";
import { apiKeySecretMatches } from "../tokens.js";

type OrgParams = { organization: string };

/**
 * Whether an API key may sign `user` in: the spec's `role_name` of a key "can only authenticate for users
 * with roles that are less permissive than this role", so the user's role's permissions must all be in the
 * key's role. A key whose role no longer exists signs no one in.
 */
async function keyCoversUser(deps: AppDeps, key: ApiKey, user: User): Promise<boolean> {
  const [keyRole, userRole] = await Promise.all([
    deps.store.getRole(key.organizationId, key.roleName),
    deps.store.getRole(user.organizationId, user.roleName),
  ]);
  return keyRole !== undefined && isWithinPermissions(userRole?.permissions ?? [], keyRole.permissions);
}

/**
 * Organization details (public per the spec) and sign-in with an API key: 401 for a missing, wrong or
 * expired key, an unknown user, or a user whose role is more permissive than the key's.
 */
export function organizationRoutes(deps: AppDeps, state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: OrgParams }>("/v1/:organization/organization/", async (request) => {
      operationRequest(state, "get-organization", undefined, request);
      const organization = await resolveOrganization(deps, request.params.organization);
      return {
        org_id: organization.id,
        org_name: organization.title,
        default_user_preferences: null,
        tenant_id: null,
      };
    });

    app.post<{ Params: OrgParams }>("/v1/:organization/user/signin_with_api_key", async (request) => {
      operationRequest(state, "sign-in-with-api-key", undefined, request);
      const organization = await resolveOrganization(deps, request.params.organization);
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === "string" ? value : undefined;
      };
      const secret = header("x-api-key");
      const keyId = header("x-api-key-id");
      const userId = header("x-user-id");
      if (secret === undefined || keyId === undefined || userId === undefined) {
        throw new AppError("unauthorized", "x-api-key, x-api-key-id and x-user-id are required");
      }
      // No key has a malformed id; refusing it before the limiter keeps arbitrary header text out of it.
      if (!isId(keyId)) throw new AppError("unauthorized", "Invalid API key or user");
      // Only failed attempts count, per key id, so clients that sign in often are not throttled.
      const limiterKey = `${organization.id}:${keyId}`;
      if (state.signinFailureLimiter.isLimited(limiterKey)) {
        throw new AppError("rate_limited", "Too many failed sign-in attempts; try again in a minute");
      }
      const key = await deps.store.getApiKey(organization.id, keyId);
      const now = deps.now();
      const valid =
        key !== undefined &&
        apiKeySecretMatches(secret, key.secretHash) &&
        Date.parse(key.expiresAt) > now.getTime();
      const user = valid ? await deps.store.getUser(organization.id, userId) : undefined;
      if (!valid || user === undefined || !(await keyCoversUser(deps, key, user))) {
        state.signinFailureLimiter.hit(limiterKey);
        throw new AppError("unauthorized", "Invalid API key or user");
      }
      const { token, expiresAt } = await deps.tokens.issue(
        { organizationId: organization.id, userId: user.id },
        now,
      );
      return { id_token: token, expires_at: expiresAt.toISOString() };
    });
  };
}
