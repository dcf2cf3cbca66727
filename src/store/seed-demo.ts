import { setTimeout as sleep } from "node:timers/promises";
import {
  DEMO_AGENT_NAME,
  DEMO_GRAPH_NAME,
  DEMO_SERVICE_NAME,
  demoAgentVersionBody,
  demoGraphVersionBody,
} from "../domain/demo/clinic-receptionist.js";
import { newId } from "../domain/ids.js";
import { AppError } from "../lib/app-error.js";
import { isSqliteBusy } from "./db-errors.js";
import {
  ADMIN_ROLE_NAME,
  ALL_PERMISSIONS,
  DEFAULT_USER_PERMISSIONS,
  DEFAULT_USER_ROLE_NAME,
  ORGANIZATION_ADMIN_PERMISSIONS,
  ORGANIZATION_ADMIN_ROLE_NAME,
  SUPER_ADMIN_ROLE_NAME,
} from "../domain/permissions.js";
import type { Store } from "./types.js";

/** Attempts of a seed that lost a race with another process, and the pause after the first (grows). */
const SEED_ATTEMPTS = 5;
const SEED_RETRY_PAUSE_MS = 20;

export const DEMO_ORGANIZATION_ID = "parley-demo";
export const DEMO_ADMIN_EMAIL = "admin@parley.local";

export interface DemoSeed {
  organizationId: string;
  userId: string;
  serviceId: string;
}

/** The spec's four default roles of every organization, with the permissions each holds. */
const DEFAULT_ROLES: { name: string; description: string; permissions: readonly string[] }[] = [
  { name: ADMIN_ROLE_NAME, description: "Administrator: every permission", permissions: ALL_PERMISSIONS },
  {
    name: SUPER_ADMIN_ROLE_NAME,
    description: "Super administrator: every permission",
    permissions: ALL_PERMISSIONS,
  },
  {
    name: ORGANIZATION_ADMIN_ROLE_NAME,
    description:
      "Organization administrator: every permission but creating or deleting organizations and listing models",
    permissions: ORGANIZATION_ADMIN_PERMISSIONS,
  },
  {
    name: DEFAULT_USER_ROLE_NAME,
    description: "End user: talk to services, manage own data",
    permissions: DEFAULT_USER_PERMISSIONS,
  },
];

/** Creates the spec's four default roles of an organization, or brings their permissions up to date. */
export async function ensureRoles(store: Store, organizationId: string): Promise<void> {
  for (const { name, description, permissions } of DEFAULT_ROLES) {
    await store.upsertRole({ id: newId(), organizationId, name, description, permissions: [...permissions] });
  }
}

/**
 * Creates (idempotently) an organization with its roles, an admin user and the demo clinic service.
 * Running it again finds and returns what exists. It writes in one transaction; when another process
 * seeds the same organization at the same moment, the loser's transaction hits a duplicate key (or, on
 * SQLite, the other writer's lock), rolls back, and a later attempt finds what the winner wrote.
 */
export async function seedDemo(
  store: Store,
  now: Date,
  organizationId = DEMO_ORGANIZATION_ID,
): Promise<DemoSeed> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await store.transaction((tx) => seedOnce(tx, now, organizationId));
    } catch (error) {
      const lostRace = (error instanceof AppError && error.code === "conflict") || isSqliteBusy(error);
      if (!lostRace || attempt >= SEED_ATTEMPTS) throw error;
      await sleep(SEED_RETRY_PAUSE_MS * attempt);
    }
  }
}

async function seedOnce(store: Store, now: Date, organizationId: string): Promise<DemoSeed> {
  const createdAt = now.toISOString();
  if ((await store.getOrganization(organizationId)) === undefined) {
    await store.createOrganization({
      id: organizationId,
      name: organizationId,
      title: "Parley demo",
      createdAt,
    });
  }
  await ensureRoles(store, organizationId);
  let admin = await store.findUserByEmail(organizationId, DEMO_ADMIN_EMAIL);
  if (admin === undefined) {
    admin = {
      id: newId(),
      organizationId,
      email: DEMO_ADMIN_EMAIL,
      firstName: "Demo",
      lastName: "Admin",
      roleName: ADMIN_ROLE_NAME,
      preferredLanguage: "eng",
      timezone: "UTC",
      userModel: {},
      createdAt,
    };
    await store.createUser(admin);
  }
  const services = await store.listServices(
    organizationId,
    {},
    { limit: 100, continuationToken: 0, sortBy: [] },
  );
  const existing = services.items.find((s) => s.name === DEMO_SERVICE_NAME);
  if (existing !== undefined) return { organizationId, userId: admin.id, serviceId: existing.id };

  const agentId = newId();
  await store.createVersioned("agent", {
    id: agentId,
    organizationId,
    name: DEMO_AGENT_NAME,
    description: "",
    createdAt,
  });
  await store.addVersion("agent", organizationId, agentId, demoAgentVersionBody, createdAt);
  const graphId = newId();
  await store.createVersioned("context_graph", {
    id: graphId,
    organizationId,
    name: DEMO_GRAPH_NAME,
    description: "",
    createdAt,
  });
  await store.addVersion("context_graph", organizationId, graphId, demoGraphVersionBody, createdAt);
  const serviceId = newId();
  await store.createService({
    id: serviceId,
    organizationId,
    name: DEMO_SERVICE_NAME,
    description: "Book an appointment at Maple Clinic by talking to Ada, the receptionist.",
    agentId,
    graphId,
    isActive: true,
    tags: { demo: "true" },
    versionSets: {
      release: {
        agent_version_number: 1,
        service_hierarchical_state_machine_version_number: 1,
        llm_model_preferences: {},
      },
      edge: {
        agent_version_number: null,
        service_hierarchical_state_machine_version_number: null,
        llm_model_preferences: {},
      },
    },
    createdAt,
    updatedAt: createdAt,
  });
  return { organizationId, userId: admin.id, serviceId };
}
