import { RulesAgentEngine } from "./rules-engine.js";

/** The offline default agent: rules over the service's context graph (no model, no network). */
export function createRulesAgentEngine(): RulesAgentEngine {
  return new RulesAgentEngine();
}

export { RulesAgentEngine };
