import type { FastifyInstance, FastifyRequest } from "fastify";
import { newId } from "../../domain/ids.js";
import { AppError } from "../../lib/app-error.js";
import { MAX_PAGE_LIMIT } from "../../store/paging.js";
import type { EntityVersion, VersionedKind } from "../../store/types.js";
import { type Principal, requirePermission } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { validationFailure } from "../api-spec/request-validator.js";
import { operationRequest } from "../operation.js";
import { pageOf } from "../request-helpers.js";

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
  /** The spec's operation ids, and the name each of the entity's operations gives its id in the path. */
  operations: {
    create: string;
    list: string;
    delete: { id: string; idParam: string };
    createVersion: { id: string; idParam: string };
    listVersions: { id: string; idParam: string };
  };
  /**
   * Fields a first version must define: the spec's 400 "attempt to create the initial version …, but not
   * all fields in the request object are defined".
   */
  requiredFirstVersionFields: string[];
  /** Checks of a version body the schema cannot make (400 when one fails). */
  checkVersionBody?: (body: Record<string, unknown>) => void;
  versionInstance(version: EntityVersion, principal: Principal): Record<string, unknown>;
}

/** Create, list, delete, create version and list versions for agents and context graphs. */
export function registerVersionedRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  state: AppState,
  auth: (request: FastifyRequest<{ Params: OrgParams }>) => Promise<Principal>,
  spec: VersionedRoutes,
): void {
  const operations = spec.operations;
  /** The request's path parameters under the spec's names for `operation`. */
  const specParams = (request: FastifyRequest<{ Params: OrgParams & { id: string } }>, idParam: string) => ({
    organization: request.params.organization,
    [idParam]: request.params.id,
  });

  app.post<{ Params: OrgParams }>(spec.path, async (request, reply) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.create);
    const { body } = operationRequest<Record<string, string>>(state, operations.create, principal, request);
    const name = body[spec.nameField]!.trim();
    // The spec's 409: one with the same name already exists.
    if (await nameTaken(deps, spec.kind, principal.organization.id, name)) {
      throw new AppError("conflict", `An entity of this kind named ${name} already exists`);
    }
    const id = newId();
    await deps.store.createVersioned(spec.kind, {
      id,
      organizationId: principal.organization.id,
      name,
      description: "",
      createdAt: deps.now().toISOString(),
    });
    return reply.code(201).send({ id });
  });

  app.get<{ Params: OrgParams }>(spec.path, async (request) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.read);
    const { query } = operationRequest(state, operations.list, principal, request);
    if (query.deprecated === true) {
      return { [spec.listField]: [], has_more: false, continuation_token: null };
    }
    const page = await deps.store.listVersioned(
      spec.kind,
      principal.organization.id,
      { ids: query.id as string[] },
      pageOf(query),
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
    const entity = await deps.store.getVersioned(spec.kind, principal.organization.id, id);
    if (entity === undefined) throw new AppError("not_found", `${spec.kind} ${id} not found`);
    return entity;
  };

  app.delete<{ Params: OrgParams & { id: string } }>(`${spec.path}/:id/`, async (request, reply) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.delete);
    operationRequest(
      state,
      operations.delete.id,
      principal,
      request,
      specParams(request, operations.delete.idParam),
    );
    const entity = await loadEntity(principal, request.params.id);
    const services = await deps.store.listServices(
      principal.organization.id,
      {},
      { limit: 100, continuationToken: 0, sortBy: [] },
    );
    // The spec's 400: "an active service exists that utilizes" it (an inactive one keeps it too).
    if (services.items.some((s) => s.agentId === entity.id || s.graphId === entity.id)) {
      throw new AppError("bad_request", "A service still uses it");
    }
    await deps.store.deleteVersioned(spec.kind, principal.organization.id, entity.id);
    return reply.code(200).send(null);
  });

  app.post<{ Params: OrgParams & { id: string } }>(`${spec.path}/:id/`, async (request, reply) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.createVersion);
    const { query, body } = operationRequest<Record<string, unknown>>(
      state,
      operations.createVersion.id,
      principal,
      request,
      specParams(request, operations.createVersion.idParam),
    );
    const entity = await loadEntity(principal, request.params.id);
    spec.checkVersionBody?.(body);
    const latest = await deps.store.getVersion(spec.kind, principal.organization.id, entity.id, "latest");
    if (latest === undefined) {
      const missing = spec.requiredFirstVersionFields.filter((field) => body[field] == null);
      if (missing.length > 0) {
        throw new AppError("bad_request", `The first version must define ${missing.join(", ")}`);
      }
    }
    const expected = query.version as number | null | undefined;
    if (expected != null && expected !== (latest?.version ?? 0) + 1) {
      throw new AppError("conflict", `The next version is ${(latest?.version ?? 0) + 1}`);
    }
    if (query.dry_run === true) return reply.code(201).send(null);
    // A field left null (or out) keeps the previous version's value, as the spec says of updates.
    const given = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
    const version = await deps.store.addVersion(
      spec.kind,
      principal.organization.id,
      entity.id,
      { ...(latest?.body ?? {}), ...given },
      deps.now().toISOString(),
    );
    return reply.code(201).send({ version: version.version, created_at: version.createdAt });
  });

  app.get<{ Params: OrgParams & { id: string } }>(`${spec.path}/:id/version`, async (request) => {
    const principal = await auth(request);
    requirePermission(principal, spec.permissions.read);
    const { query } = operationRequest(
      state,
      operations.listVersions.id,
      principal,
      request,
      specParams(request, operations.listVersions.idParam),
    );
    const entity = await loadEntity(principal, request.params.id);
    const page = await deps.store.listVersions(
      spec.kind,
      principal.organization.id,
      entity.id,
      pageOf(query),
    );
    const selection = versionSelection(query.version as string | null | undefined);
    if (selection.kind === "one") {
      const version = await deps.store.getVersion(
        spec.kind,
        principal.organization.id,
        entity.id,
        selection.version,
      );
      return {
        [spec.versionsField]: version === undefined ? [] : [spec.versionInstance(version, principal)],
        has_more: false,
        continuation_token: null,
      };
    }
    const items = page.items.filter((v) => v.version >= selection.from && v.version <= selection.to);
    return {
      [spec.versionsField]: items.map((v) => spec.versionInstance(v, principal)),
      has_more: page.hasMore,
      continuation_token: page.continuationToken,
    };
  });
}

/**
 * The spec's `version` filter of a version list: a number or `latest` (one version), or an inclusive
 * range `low-high`; none means every version. Anything else is a 422.
 */
function versionSelection(
  text: string | null | undefined,
): { kind: "one"; version: number | "latest" } | { kind: "range"; from: number; to: number } {
  if (text == null) return { kind: "range", from: 0, to: Number.MAX_SAFE_INTEGER };
  const trimmed = text.trim();
  if (trimmed === "latest") return { kind: "one", version: "latest" };
  if (/^\d{1,9}$/.test(trimmed)) return { kind: "one", version: Number(trimmed) };
  const range = /^(\d{1,9})-(\d{1,9})$/.exec(trimmed);
  if (range !== null) return { kind: "range", from: Number(range[1]), to: Number(range[2]) };
  throw validationFailure([
    {
      loc: ["query", "version"],
      msg: "must be a version number, latest, or a range low-high",
      type: "value_error",
    },
  ]);
}

/** Whether the organization has an entity of `kind` named `name` (the spec's names are unique). */
async function nameTaken(deps: AppDeps, kind: VersionedKind, orgId: string, name: string): Promise<boolean> {
  for (let offset = 0; ;) {
    const page = await deps.store.listVersioned(
      kind,
      orgId,
      {},
      { limit: MAX_PAGE_LIMIT, continuationToken: offset, sortBy: [] },
    );
    if (page.items.some((entity) => entity.name === name)) return true;
    if (!page.hasMore || page.continuationToken === null) return false;
    offset = page.continuationToken;
  }
}
