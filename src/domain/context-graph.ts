/**
 * Read-only view of a context graph version body (the spec's ServiceHierarchicalStateMachine version:
 * `states`, `new_user_initial_state`, `returning_user_initial_state`, `terminal_state`).
 */
export interface ExitCondition {
  description: string;
  /** A state name, or `[external state machine, state name]`; only the state name is used offline. */
  next_state: string | [string, string];
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
}

export interface GraphBody {
  states: GraphState[];
  new_user_initial_state: string;
  returning_user_initial_state: string;
  terminal_state: string;
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
