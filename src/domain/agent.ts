import type { JsonValue } from "./json.js";

/** Navigation state of one conversation; opaque to everything but the engine that wrote it. */
export type AgentConversationState = { [key: string]: JsonValue };

/** What the engine needs to know about the agent speaking (from the agent version). */
export interface AgentPersona {
  name: string;
  /** Free-text background and behaviour from the agent version; may be empty. */
  background: string;
  behaviors: string[];
  /** The identity's role, e.g. "Receptionist at Maple Clinic"; absent when the version has none. */
  role?: string;
  /** The agent version's `communication_patterns`. */
  communicationPatterns?: string[];
  /** The agent version's `voice_config`, or null when it has none. */
  voiceConfig: { voice_id: string; stability?: number; similarity_boost?: number; style?: number } | null;
}

/** The context graph version the engine walks, as stored (spec: service_hierarchical_state_machine). */
export interface ContextGraph {
  id: string;
  version: number;
  /** The spec's `ServiceHierarchicalStateMachineVersion` body: `states`, `new_user_initial_state`, ... */
  body: { [key: string]: unknown };
}

/**
 * One step of the agent's work, shaped as the spec's `CurrentAgentActionEvent.action` object
 * (`{ type: "navigate-state-machine-state-transitioned", prev_state, ... }` and so on).
 */
export type AgentAction = { type: string; [field: string]: unknown };
