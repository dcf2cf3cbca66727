import type { FastifyInstance, FastifyRequest } from "fastify";
import { newId } from "../../domain/ids.js";
import { AppError } from "../../lib/app-error.js";
import { isWithinPermissions } from "../../domain/permissions.js";
import { MAX_PAGE_LIMIT } from "../../store/paging.js";
import type { ApiKey, Service, VersionSet } from "../../store/types.js";
import { authenticate, requirePermission } from "../auth.js";
import type { AppDeps, AppState } from "../deps.js";
import { hashApiKeySecret, newApiKeySecret } from "../tokens.js";
import type {
  CreateApiKeyBody,
  CreateServiceBody,
  UpdateServiceBody,
  UpsertVersionSetBody,
  VersionSetBody,
} from "../api-spec/request-types.js";
import { operationRequest } from "../operation.js";
import { pageOf, validationError } from "../request-helpers.js";
import { registerVersionedRoutes } from "./admin-versioned.js";

type OrgParams = { organization: string };

/** ISO-8601 duration (days, hours, minutes, seconds) in milliseconds, or undefined when malformed. */
export function parseIsoDurationMs(text: string): number | undefined {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (match === null || text === "P" || text.endsWith("T")) return undefined;
  const [, w, d, h, m, s] = match.map((v) => Number(v ?? 0));
  return ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (m ?? 0)) * 60_000 + (s ?? 0) * 1000;
}

function versionSetOf(set: VersionSetBody): VersionSet {
  return {
    agent_version_number: set.agent_version_number,
    service_hierarchical_state_machine_version_number: set.service_hierarchical_state_machine_version_number,
    llm_model_preferences: set.llm_model_preferences,
  };
}

/** The spec's "maximum limit of 20 API keys" per organization. Expired keys do not count. */
export const MAX_API_KEYS_PER_ORGANIZATION = 20;

/**
 * The organization's keys that have not expired. Sorted by expiry, latest first, so the live ones all fit
 * on one page (the limit keeps them far below a page).
 */
async function liveApiKeys(deps: AppDeps, orgId: string, now: Date): Promise<ApiKey[]> {
  const page = await deps.store.listApiKeys(orgId, {
    limit: MAX_PAGE_LIMIT,
    continuationToken: 0,
    sortBy: ["-expires_at"],
  });
  return page.items.filter((key) => Date.parse(key.expiresAt) > now.getTime());
}

/** The spec's 400 for "The organization has reached the maximum API key limit." */
function tooManyApiKeys(): AppError {
  return new AppError(
    "bad_request",
    `The organization has reached the maximum of ${MAX_API_KEYS_PER_ORGANIZATION} API keys`,
  );
}

/** API keys, agents, context graphs and services. */
export function adminRoutes(deps: AppDeps, state: AppState) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = (request: FastifyRequest<{ Params: OrgParams }>) =>
      authenticate(deps, request, request.params.organization);

    app.post<{ Params: OrgParams }>("/v1/:organization/organization/api_key/", async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "Organization:CreateAPIKey");
      const { body } = operationRequest<CreateApiKeyBody>(state, "create-api-key", principal, request);
      const durationMs = parseIsoDurationMs(body.duration);
      if (durationMs === undefined)
        throw validationError(
          ["body", "duration"],
          "must be an ISO-8601 duration in weeks, days, hours, minutes or seconds",
        );
      if (durationMs < 86_400_000 || durationMs > 90 * 86_400_000) {
        throw validationError(["body", "duration"], "must be between 1 and 90 days");
      }
      // The spec's default role is DefaultAdministratorRole.
      const roleName = body.role_name;
      const role = await deps.store.getRole(principal.organization.id, roleName);
      if (role === undefined) throw new AppError("not_found", `Role ${roleName} not found`);
      // The spec: creating a key "requires the authenticated user to have more privileges than the role
      // associated with the API key" (read as: at least that role's permissions, so an admin can make an
      // admin key); otherwise a key would sign its creator in above their own role.
      if (!isWithinPermissions(role.permissions, principal.permissions)) {
        throw new AppError("forbidden", `Role ${roleName} has permissions the caller does not have`);
      }
      const now = deps.now();
      if ((await liveApiKeys(deps, principal.organization.id, now)).length >= MAX_API_KEYS_PER_ORGANIZATION) {
        throw tooManyApiKeys();
      }
      const secret = newApiKeySecret();
      const key = {
        id: newId(),
        organizationId: principal.organization.id,
        userId: principal.user.id,
        secretHash: hashApiKeySecret(secret),
        roleName,
        expiresAt: new Date(now.getTime() + durationMs).toISOString(),
        createdAt: now.toISOString(),
      };
      await deps.store.createApiKey(key);
      // Creations racing past the count above all land, so each counts again after its insert and takes
      // its own key back past the limit. A key is kept only when its count stayed within the limit, and
      // the latest of those counts saw every kept key: the limit holds on every store without a lock
      // (under a race, more may be refused than strictly needed).
      if ((await liveApiKeys(deps, principal.organization.id, now)).length > MAX_API_KEYS_PER_ORGANIZATION) {
        await deps.store.deleteApiKey(principal.organization.id, key.id);
        throw tooManyApiKeys();
      }
      return reply.code(201).send({ api_key_id: key.id, api_key: secret, expires_at: key.expiresAt });
    });

    app.get<{ Params: OrgParams }>("/v1/:organization/organization/api_key/", async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "Organization:GetAPIKey");
      operationRequest(state, "get-api-keys", principal, request);
      // The spec lists every key on one page (at most 20 are live).
      const page = await deps.store.listApiKeys(principal.organization.id, {
        limit: MAX_PAGE_LIMIT,
        continuationToken: 0,
        sortBy: [],
      });
      const roles = await deps.store.listRoles(principal.organization.id);
      return {
        api_keys: page.items.map((key) => ({
          _id: key.id,
          name: null,
          org_id: key.organizationId,
          created_at: key.createdAt,
          updated_at: key.createdAt,
          key_id: key.id,
          expires_at: key.expiresAt,
          creator: { user_id: key.userId, org_id: key.organizationId },
          role_id: roles.find((r) => r.name === key.roleName)?.id ?? key.roleName,
        })),
      };
    });

    app.delete<{ Params: OrgParams & { api_key_id: string } }>(
      "/v1/:organization/organization/api_key/:api_key_id/",
      async (request) => {
        const principal = await auth(request);
        requirePermission(principal, "Organization:DeleteAPIKey");
        operationRequest(state, "delete-api-key", principal, request);
        if (!(await deps.store.deleteApiKey(principal.organization.id, request.params.api_key_id))) {
          throw new AppError("not_found", `API key ${request.params.api_key_id} not found`);
        }
        return { deleted_key_id: request.params.api_key_id };
      },
    );

    registerVersionedRoutes(app, deps, state, auth, {
      kind: "agent",
      path: "/v1/:organization/organization/agent",
      idParam: "agent_id",
      nameField: "agent_name",
      listField: "agents",
      versionsField: "agent_versions",
      permissions: {
        create: "Organization:CreateAgent",
        read: "Organization:GetAgent",
        delete: "Organization:DeleteAgent",
        createVersion: "Organization:CreateAgentVersion",
      },
      operations: {
        create: "create-agent",
        list: "get-agents",
        delete: { id: "delete-agent", idParam: "agent_id" },
        createVersion: { id: "create-agent-version", idParam: "agent_id" },
        listVersions: { id: "get-agent-versions", idParam: "agent_id" },
      },
      // The spec's 400: "the specified voice ID doesn't exist".
      checkVersionBody: (body) => {
        const voiceId = (body.voice_config as { voice_id?: string } | null | undefined)?.voice_id;
        const voices = deps.engines.tts.capabilities.voices;
        if (voiceId !== undefined && !voices.includes(voiceId)) {
          throw new AppError(
            "bad_request",
            `The voice ${voiceId} does not exist; voices: ${voices.join(", ")}`,
          );
        }
      },
      // `voice_config` may stay null: such an agent answers only in text (voice gets the spec's 400).
      requiredFirstVersionFields: [
        "initials",
        "identity",
        "background",
        "behaviors",
        "communication_patterns",
      ],
      versionInstance: (v, principal) => {
        const body = v.body as Record<string, unknown>;
        return {
          org_id: v.organizationId,
          agent_id: v.parentId,
          version: v.version,
          voice_config: body.voice_config ?? null,
          initials: body.initials ?? "",
          identity: body.identity ?? {
            name: "Agent",
            role: "Assistant",
            developed_by: "Parley",
            default_spoken_language: "eng",
            relationship_to_developer: {
              ownership: "-",
              type: "-",
              conversation_visibility: "-",
              thought_visibility: "-",
            },
          },
          background: body.background ?? "",
          behaviors: body.behaviors ?? [],
          communication_patterns: body.communication_patterns ?? [],
          created_at: v.createdAt,
          creator: { org_id: v.organizationId, user_id: principal.user.id },
        };
      },
    });

    registerVersionedRoutes(app, deps, state, auth, {
      kind: "context_graph",
      path: "/v1/:organization/organization/service_hierarchical_state_machine",
      idParam: "service_hierarchical_state_machine_id",
      nameField: "state_machine_name",
      listField: "service_hierarchical_state_machines",
      versionsField: "state_machine_versions",
      permissions: {
        create: "Organization:CreateServiceHierarchicalStateMachine",
        read: "Organization:GetServiceHierarchicalStateMachine",
        delete: "Organization:DeleteServiceHierarchicalStateMachine",
        createVersion: "Organization:CreateServiceHierarchicalStateMachineVersion",
      },
      operations: {
        create: "create-service-hierarchical-state-machine",
        list: "get-service-hierarchical-state-machines",
        delete: { id: "delete-service-hierarchical-state-machine", idParam: "state_machine_id" },
        createVersion: {
          id: "create-service-hierarchical-state-machine-version",
          idParam: "service_hierarchical_state_machine_id",
        },
        listVersions: {
          id: "get-service-hierarchical-state-machine-versions",
          idParam: "service_hierarchical_state_machine_id",
        },
      },
      // The request schema requires every field already.
      requiredFirstVersionFields: [],
      versionInstance: (v, principal) => ({
        references: {},
        global_intra_state_navigation_guidelines: [],
        global_action_guidelines: [],
        global_boundary_constraints: [],
        ...v.body,
        org_id: v.organizationId,
        service_hierarchical_state_machine_id: v.parentId,
        version: v.version,
        created_at: v.createdAt,
        creator: { org_id: v.organizationId, user_id: principal.user.id },
      }),
    });

    const serviceInstance = (service: Service) => ({
      id: service.id,
      name: service.name,
      version_sets: service.versionSets,
      description: service.description,
      is_active: service.isActive,
      service_hierarchical_state_machine_id: service.graphId,
      agent_id: service.agentId,
      tags: Object.entries(service.tags).map(([key, value]) => ({ key, value })),
      keyterms: [],
      creator: { org_id: service.organizationId, user_id: service.organizationId },
      updated_by: { org_id: service.organizationId, user_id: service.organizationId },
    });

    app.get<{ Params: OrgParams }>("/v1/:organization/service/", async (request) => {
      const principal = await auth(request);
      requirePermission(principal, "Service:GetService");
      const { query } = operationRequest(state, "get-services", principal, request);
      const isActive = query.is_active as boolean | undefined;
      const page = await deps.store.listServices(
        principal.organization.id,
        { ids: query.id as string[], ...(isActive === undefined ? {} : { isActive }) },
        pageOf(query),
      );
      return {
        services: page.items.map(serviceInstance),
        has_more: page.hasMore,
        continuation_token: page.continuationToken,
        filter_values: null,
      };
    });

    /**
     * The agent or context graph a service uses: 404 when it does not exist (400 with `missing:
     * "bad_request"`, where the spec calls it an invalid one), and the spec's 400 when it has no version.
     */
    const requireUsable = async (
      orgId: string,
      kind: "agent" | "context_graph",
      id: string,
      field: string,
      missing: "not_found" | "bad_request" = "not_found",
    ) => {
      if ((await deps.store.getVersioned(kind, orgId, id)) === undefined) {
        throw new AppError(missing, `${field} ${id} not found`);
      }
      if ((await deps.store.getVersion(kind, orgId, id, "latest")) === undefined) {
        throw new AppError("bad_request", `${field} ${id} has no versions`);
      }
    };

    /** The spec's 400: a version set naming a version its service's agent or context graph lacks. */
    const checkVersionSet = async (orgId: string, agentId: string, graphId: string, set: VersionSet) => {
      for (const [kind, parent, number] of [
        ["agent", agentId, set.agent_version_number],
        ["context_graph", graphId, set.service_hierarchical_state_machine_version_number],
      ] as const) {
        if (number !== null && (await deps.store.getVersion(kind, orgId, parent, number)) === undefined) {
          throw new AppError(
            "bad_request",
            `Version ${number} does not belong to the service's ${kind.replace("_", " ")}`,
          );
        }
      }
    };

    /** The spec's 409: another active service has this name. */
    const checkActiveName = async (orgId: string, name: string, exceptId?: string) => {
      for (let offset = 0; ;) {
        const page = await deps.store.listServices(
          orgId,
          { isActive: true },
          { limit: MAX_PAGE_LIMIT, continuationToken: offset, sortBy: [] },
        );
        if (page.items.some((other) => other.name === name && other.id !== exceptId)) {
          throw new AppError("conflict", `An active service named ${name} already exists`);
        }
        if (!page.hasMore || page.continuationToken === null) return;
        offset = page.continuationToken;
      }
    };

    app.post<{ Params: OrgParams }>("/v1/:organization/service/", async (request, reply) => {
      const principal = await auth(request);
      requirePermission(principal, "Service:CreateService");
      const { body } = operationRequest<CreateServiceBody>(state, "create-service", principal, request);
      const orgId = principal.organization.id;
      const agentId = body.agent_id;
      const graphId = body.service_hierarchical_state_machine_id;
      await requireUsable(orgId, "agent", agentId, "agent_id");
      await requireUsable(orgId, "context_graph", graphId, "service_hierarchical_state_machine_id");
      if (body.release_version_set != null) {
        await checkVersionSet(orgId, agentId, graphId, versionSetOf(body.release_version_set));
      }
      if (body.is_active) await checkActiveName(orgId, body.name.trim());
      const unpinned: VersionSet = {
        agent_version_number: null,
        service_hierarchical_state_machine_version_number: null,
        llm_model_preferences: {},
      };
      const now = deps.now().toISOString();
      const service: Service = {
        id: newId(),
        organizationId: orgId,
        name: body.name.trim(),
        description: body.description.trim(),
        agentId,
        graphId,
        isActive: body.is_active,
        tags: body.tags,
        versionSets: {
          release: body.release_version_set == null ? unpinned : versionSetOf(body.release_version_set),
          edge: unpinned,
        },
        createdAt: now,
        updatedAt: now,
      };
      await deps.store.createService(service);
      return reply.code(201).send({ id: service.id });
    });

    const loadService = async (orgId: string, id: string) => {
      const service = await deps.store.getService(orgId, id);
      if (service === undefined) throw new AppError("not_found", `Service ${id} not found`);
      return service;
    };

    app.post<{ Params: OrgParams & { service_id: string } }>(
      "/v1/:organization/service/:service_id/",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Service:UpdateService");
        const { body } = operationRequest<UpdateServiceBody>(state, "update-service", principal, request);
        const orgId = principal.organization.id;
        const service = await loadService(orgId, request.params.service_id);
        // Each field is updated only when given and not null, as the spec says.
        const updated: Service = { ...service, updatedAt: deps.now().toISOString() };
        if (typeof body.name === "string") updated.name = body.name.trim();
        if (typeof body.description === "string") updated.description = body.description.trim();
        if (typeof body.is_active === "boolean") updated.isActive = body.is_active;
        if (typeof body.agent_id === "string") {
          await requireUsable(orgId, "agent", body.agent_id, "agent_id", "bad_request");
          updated.agentId = body.agent_id;
        }
        if (typeof body.service_hierarchical_state_machine_id === "string") {
          const graphId = body.service_hierarchical_state_machine_id;
          await requireUsable(
            orgId,
            "context_graph",
            graphId,
            "service_hierarchical_state_machine_id",
            "bad_request",
          );
          updated.graphId = graphId;
        }
        if (body.tags != null) updated.tags = body.tags;
        if (updated.isActive) await checkActiveName(orgId, updated.name, updated.id);
        await deps.store.updateService(updated);
        return reply.code(200).send(null);
      },
    );

    app.put<{ Params: OrgParams & { service_id: string; version_set_name: string } }>(
      "/v1/:organization/service/:service_id/version_sets/:version_set_name/",
      async (request, reply) => {
        const principal = await auth(request);
        requirePermission(principal, "Service:UpdateVersionSet");
        const { body } = operationRequest<UpsertVersionSetBody>(
          state,
          "upsert-service-version-set",
          principal,
          request,
        );
        const orgId = principal.organization.id;
        const service = await loadService(orgId, request.params.service_id);
        // The spec's 400: the `edge` version set always follows the latest versions.
        if (request.params.version_set_name === "edge") {
          throw new AppError("bad_request", "The edge version set cannot be updated");
        }
        const set = versionSetOf(body.version_set);
        await checkVersionSet(orgId, service.agentId, service.graphId, set);
        await deps.store.updateService({
          ...service,
          versionSets: { ...service.versionSets, [request.params.version_set_name]: set },
          updatedAt: deps.now().toISOString(),
        });
        return reply.code(204).send();
      },
    );
  };
}
