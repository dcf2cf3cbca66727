import type { JsonObject } from "./json.js";

/** An agent or a context graph: a named thing with numbered, immutable versions. */
export interface VersionedEntity {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  createdAt: string;
}

export interface EntityVersion {
  id: string;
  organizationId: string;
  parentId: string;
  version: number;
  body: JsonObject;
  createdAt: string;
}

/** One named version set of a service (`release`, `edge`, ...). */
export interface VersionSet {
  agent_version_number: number | null;
  service_hierarchical_state_machine_version_number: number | null;
  llm_model_preferences: JsonObject;
}

export interface Service {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  agentId: string;
  graphId: string;
  isActive: boolean;
  tags: Record<string, string | null>;
  versionSets: Record<string, VersionSet>;
  createdAt: string;
  updatedAt: string;
}
