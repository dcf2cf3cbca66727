import type { FastifyRequest } from "fastify";
import { DEFAULT_USER_ROLE_NAME } from "../domain/permissions.js";
import { AppError } from "../lib/app-error.js";
import type { Principal } from "../domain/principal.js";
import type { Organization } from "../store/types.js";
import type { AppDeps } from "./deps.js";

export type { Principal } from "../domain/principal.js";

/** The organization named in the path (its id or its name); 404 when there is none. */
export async function resolveOrganization(deps: AppDeps, orgParam: string): Promise<Organization> {
  const organization = await deps.store.getOrganization(orgParam);
  if (organization === undefined) throw new AppError("not_found", `Organization ${orgParam} not found`);
  return organization;
}

function credentialsOf(
  request: FastifyRequest,
  orgId: string,
): { token: string; userId?: string } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const [scheme, value] = header.split(/\s+/, 2);
    if (scheme?.toLowerCase() === "bearer" && value) return { token: value };
    if (scheme?.toLowerCase() === "basic" && value) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return undefined;
      const username = decoded.slice(0, colon);
      const prefix = `${orgId}_`;
      return {
        token: decoded.slice(colon + 1),
        userId: username.startsWith(prefix) ? username.slice(prefix.length) : "",
      };
    }
    return undefined;
  }
  // WebSocket clients may authenticate with the subprotocol `bearer.authorization.amigo.ai.<token>`.
  const protocols = request.headers["sec-websocket-protocol"];
  const offered = (Array.isArray(protocols) ? protocols.join(",") : (protocols ?? "")).split(",");
  const bearer = offered.map((p) => p.trim()).find((p) => p.startsWith("bearer.authorization.amigo.ai."));
  return bearer === undefined ? undefined : { token: bearer.slice("bearer.authorization.amigo.ai.".length) };
}

/**
 * Authenticates a request for the organization in its path: 404 for an unknown organization, 401 for
 * missing, bad or expired credentials, 403 for a token of another organization.
 */
export async function authenticate(
  deps: AppDeps,
  request: FastifyRequest,
  orgParam: string,
): Promise<Principal> {
  const organization = await resolveOrganization(deps, orgParam);
  const credentials = credentialsOf(request, organization.id);
  if (credentials === undefined) throw new AppError("unauthorized", "Missing or malformed credentials");
  const claims = await deps.tokens.verify(credentials.token);
  if (claims === undefined) throw new AppError("unauthorized", "Invalid or expired token");
  if (credentials.userId !== undefined && credentials.userId !== claims.userId) {
    throw new AppError("unauthorized", "Basic credentials do not match the token");
  }
  if (claims.organizationId !== organization.id) {
    throw new AppError("forbidden", "The token does not belong to this organization");
  }
  const user = await deps.store.getUser(organization.id, claims.userId);
  if (user === undefined) throw new AppError("unauthorized", "The token's user no longer exists");
  const role = await deps.store.getRole(organization.id, user.roleName);
  return { organization, user, permissions: new Set(role?.permissions ?? []) };
}

export function requirePermission(principal: Principal, permission: string): void {
  if (!principal.permissions.has(permission)) {
    throw new AppError("forbidden", `Missing permission ${permission}`);
  }
}

/**
 * Permission on a user's data. Anyone with the permission may act on their own data; acting on another
 * user's data also needs an administrative role (any role other than `DefaultUserRole`).
 */
export function requireUserPermission(principal: Principal, targetUserId: string, permission: string): void {
  requirePermission(principal, permission);
  if (targetUserId !== principal.user.id && principal.user.roleName === DEFAULT_USER_ROLE_NAME) {
    throw new AppError("forbidden", `Missing permission ${permission} on user ${targetUserId}`);
  }
}
