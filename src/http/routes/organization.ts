import type { FastifyInstance } from "fastify";
import { AppError } from "../../lib/app-error.js";
import { resolveOrganization } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { apiKeySecretMatches } from "../tokens.js";

type OrgParams = { organization: string };

/** Organization details (public per the spec) and sign-in with an API key. */
export function organizationRoutes(deps: AppDeps, state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: OrgParams }>("/v1/:organization/organization/", async (request) => {
      const organization = await resolveOrganization(deps, request.params.organization);
      return {
        org_id: organization.id,
        org_name: organization.title,
        default_user_preferences: null,
        tenant_id: null,
      };
    });

    app.post<{ Params: OrgParams }>("/v1/:organization/user/signin_with_api_key", async (request) => {
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
      if (!valid || user === undefined) {
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
