import type { AgentPersona, ContextGraph } from "../domain/agent.js";
import type { Service } from "../domain/catalog.js";
import type { Conversation } from "../domain/conversation.js";
import { AppError } from "../lib/app-error.js";
import type { Store } from "../store/types.js";

/** A service's agent persona and context graph, as its version set names them. */
export interface ServiceContext {
  service: Service;
  versionSetName: string;
  persona: AgentPersona;
  graph: ContextGraph;
  agentVersion: number;
  graphVersion: number;
}

/** Loads the agent version and context graph version a service's version set points at. */
export async function loadServiceContext(
  store: Store,
  orgId: string,
  serviceId: string,
  versionSetName: string,
): Promise<ServiceContext> {
  const service = await store.getService(orgId, serviceId);
  if (service === undefined) throw new AppError("not_found", `Service ${serviceId} not found`);
  // Own properties only: a name like "constructor" must not find Object.prototype's.
  const versionSet = Object.hasOwn(service.versionSets, versionSetName)
    ? service.versionSets[versionSetName]
    : undefined;
  if (versionSet === undefined) throw new AppError("not_found", `Version set ${versionSetName} not found`);
  const agentVersion = await store.getVersion(
    "agent",
    orgId,
    service.agentId,
    versionSet.agent_version_number ?? "latest",
  );
  const graphVersion = await store.getVersion(
    "context_graph",
    orgId,
    service.graphId,
    versionSet.service_hierarchical_state_machine_version_number ?? "latest",
  );
  if (agentVersion === undefined || graphVersion === undefined) {
    throw new AppError(
      "not_found",
      `Version set ${versionSetName} points at a missing agent or context graph version`,
    );
  }
  const body = agentVersion.body;
  const identity = (body.identity ?? {}) as { name?: string; role?: string };
  const voiceConfig = (body.voice_config ?? null) as AgentPersona["voiceConfig"];
  return {
    service,
    versionSetName,
    persona: {
      name: identity.name ?? "Agent",
      background: typeof body.background === "string" ? body.background : "",
      behaviors: Array.isArray(body.behaviors) ? body.behaviors.map(String) : [],
      ...(typeof identity.role === "string" ? { role: identity.role } : {}),
      communicationPatterns: Array.isArray(body.communication_patterns)
        ? body.communication_patterns.map(String)
        : [],
      voiceConfig,
    },
    graph: { id: service.graphId, version: graphVersion.version, body: graphVersion.body },
    agentVersion: agentVersion.version,
    graphVersion: graphVersion.version,
  };
}

export function loadConversationContext(store: Store, conversation: Conversation): Promise<ServiceContext> {
  return loadServiceContext(
    store,
    conversation.organizationId,
    conversation.serviceId,
    conversation.versionSetName,
  );
}
