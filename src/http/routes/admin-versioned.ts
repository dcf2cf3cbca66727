import type { FastifyInstance, FastifyRequest } from "fastify";
import { newId } from "../../domain/ids.js";
import { AppError } from "../../lib/app-error.js";
import type { EntityVersion, VersionedKind } from "../../store/types.js";
import { type Principal, requirePermission } from "../auth.js";
import type { AppDeps } from "../deps.js";
import {
  booleanParam,
  idListParam,
  pageParams,
  requireId,
  validationError,
  textOf,
} from "../request-helpers.js";

type OrgParams = { organization: string };

/** How one versioned kind (agents, context graphs) appears on the API. */
interface VersionedRoutes {
  kind: VersionedKind;
  path: string;
  idParam: string;
  nameField: string;
  listField: string;
  versionsField: string;
  permissions: { create: string; read: string; delete: string; createVersion: string };
  /** Required fields of a version body (422 when missing). */
  requiredVersionFields: string[];
  versionInstance(version: EntityVersion, principal: Principal): Record<string, unknown>;
}

/** Create, list, delete, create version and list versions for agents and context graphs. */
export function registerVersionedRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  auth: (request: FastifyRequest<{ Params: OrgParams }>) => Promise<Principal>,
  spec: VersionedRoutes,
): void {
  app.post<{ Params: OrgParams; Body: Record<string, unknown> | undefined }>(
    spec.path,
    async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, spec.permissions.create);
      const name = request.body?.[spec.nameField];
      if (typeof name !== "string" || name.trim() === "")
        throw validationError(["body", spec.nameField], "is required");
      const id = newId();
      await deps.store.createVersioned(spec.kind, {
        id,
        organizationId: principal.organization.id,
        name: name.trim(),
        description: "",
        createdAt: deps.now().toISOString(),
      });
      return reply.code(201).send({ id });
    },
  );

  app.get<{ Params: OrgParams; Querystring: Record<string, unknown> }>(spec.path, async (request) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.read);
    if (booleanParam(request.query, "deprecated") === true) {
      return { [spec.listField]: [], has_more: false, continuation_token: null };
    }
    const page = await deps.store.listVersioned(
      spec.kind,
      principal.organization.id,
      { ids: idListParam(request.query, "id") },
      pageParams(request.query),
    );
    const items = await Promise.all(
      page.items.map(async (entity) => ({
        id: entity.id,
        name: entity.name,
        deprecated: false,
        latest_version:
          (await deps.store.getVersion(spec.kind, principal.organization.id, entity.id, "latest"))?.version ??
          null,
      })),
    );
    return { [spec.listField]: items, has_more: page.hasMore, continuation_token: page.continuationToken };
  });

  const loadEntity = async (principal: Principal, id: string) => {
    requireId(id, ["path", spec.idParam]);
    const entity = await deps.store.getVersioned(spec.kind, principal.organization.id, id);
    if (entity === undefined) throw new AppError("not_found", `${spec.kind} ${id} not found`);
    return entity;
  };

  app.delete<{ Params: OrgParams & { id: string } }>(`${spec.path}/:id/`, async (request, reply) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.delete);
    const entity = await loadEntity(principal, request.params.id);
    const services = await deps.store.listServices(
      principal.organization.id,
      {},
      { limit: 100, continuationToken: 0, sortBy: [] },
    );
    if (services.items.some((s) => s.agentId === entity.id || s.graphId === entity.id)) {
      throw new AppError("conflict", "A service still uses it");
    }
    await deps.store.deleteVersioned(spec.kind, principal.organization.id, entity.id);
    return reply.code(204).send();
  });

  app.post<{
    Params: OrgParams & { id: string };
    Querystring: Record<string, unknown>;
    Body: Record<string, unknown> | undefined;
  }>(`${spec.path}/:id/`, async (request, reply) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.createVersion);
    const entity = await loadEntity(principal, request.params.id);
    const body = request.body;
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw validationError(["body"], "must be an object");
    for (const field of spec.requiredVersionFields) {
      if (body[field] === undefined) throw validationError(["body", field], "is required");
    }
    const latest = await deps.store.getVersion(spec.kind, principal.organization.id, entity.id, "latest");
    const expected = request.query.version;
    if (expected !== undefined && Number(expected) !== (latest?.version ?? 0) + 1) {
      throw new AppError("conflict", `The next version is ${(latest?.version ?? 0) + 1}`);
    }
    if (request.query.dry_run === "true") return reply.code(201).send(null);
    const version = await deps.store.addVersion(
      spec.kind,
      principal.organization.id,
      entity.id,
      body,
      deps.now().toISOString(),
    );
    return reply.code(201).send({ version: version.version, created_at: version.createdAt });
  });

  app.get<{ Params: OrgParams & { id: string }; Querystring: Record<string, unknown> }>(
    `${spec.path}/:id/version`,
    async (request) => {
      const principal = await auth(request);
      requirePermission(principal, spec.permissions.read);
      const entity = await loadEntity(principal, request.params.id);
      const page = await deps.store.listVersions(
        spec.kind,
        principal.organization.id,
        entity.id,
        pageParams(request.query),
      );
      const only = request.query.version;
      const items = page.items.filter((v) => only === undefined || String(v.version) === textOf(only));
      return {
        [spec.versionsField]: items.map((v) => spec.versionInstance(v, principal)),
        has_more: page.hasMore,
        continuation_token: page.continuationToken,
      };
    },
  );
}
