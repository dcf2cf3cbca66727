/**
 * Read-only view of a context graph version body (the spec's ServiceHierarchicalStateMachine version:
 * `states`, `new_user_initial_state`, `returning_user_initial_state`, `terminal_state`).
 */
export interface ExitCondition {
  description: string;
  /** A state name, or `[external state machine, state name]`; only the state name is used offline. */
  next_state: string | [string, string];
}

/** The spec's `ToolCallSpec`: a tool a state may call, with its fillers and result persistence. */
export interface ToolCallSpec {
  /** 24 hex digits, the id the tool is registered under. */
  tool_id: string;
  /** A Python packaging version constraint, e.g. `>=1.0` (checked against the registered version). */
  version_constraint: string;
  additional_instruction?: string;
  audio_fillers?: string[];
  audio_filler_triggered_after?: number;
  /** `ephemeral`: this turn only; `persisted`/`persisted-preferred`: later turns see the result too. */
  result_persistence?: "ephemeral" | "persisted-preferred" | "persisted";
}

export interface GraphState {
  type: "action" | "decision" | "reflection" | "tool-call" | "recall" | "annotation";
  name: string;
  objective?: string;
  actions?: string[];
  exit_conditions?: ExitCondition[];
  next_state?: string | [string, string];
  audio_fillers?: string[];
  audio_filler_triggered_after?: number;
  problem?: string;
  /** Action states. */
  action_guidelines?: string[];
  boundary_constraints?: string[];
  intra_state_navigation_guidelines?: string[];
  action_tool_call_specs?: ToolCallSpec[];
  exit_condition_tool_call_specs?: ToolCallSpec[];
  /** Decision states. */
  decision_guidelines?: string[];
  /** Tool-call states: the tool the state calls, and how its parameters are generated. */
  designated_tool?: ToolCallSpec;
  designated_tool_call_params_generation_audio_fillers?: string[];
  designated_tool_call_params_generation_audio_filler_triggered_after?: number;
  designated_tool_call_objective?: string;
  designated_tool_call_context?: string;
  designated_tool_call_guidances?: string[];
  designated_tool_call_validations?: string[];
}

export interface GraphBody {
  states: GraphState[];
  new_user_initial_state: string;
  returning_user_initial_state: string;
  terminal_state: string;
  global_action_guidelines?: string[];
  global_boundary_constraints?: string[];
  global_intra_state_navigation_guidelines?: string[];
}

export function asGraphBody(body: { [key: string]: unknown }): GraphBody {
  const states = body.states;
  if (!Array.isArray(states)) throw new Error("context graph has no states");
  return body as unknown as GraphBody;
}

export function stateNamed(graph: GraphBody, name: string): GraphState {
  const state = graph.states.find((s) => s.name === name);
  if (state === undefined) throw new Error(`context graph has no state "${name}"`);
  return state;
}

export function targetName(next: string | [string, string]): string {
  return typeof next === "string" ? next : next[1];
}
