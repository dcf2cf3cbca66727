import { RulesAgentEngine, type RulesAgentOptions } from "./rules-engine.js";

/** The offline default agent: rules over the service's context graph (no model, no network). */
export function createRulesAgentEngine(options: RulesAgentOptions = {}): RulesAgentEngine {
  return new RulesAgentEngine(options);
}

export { RulesAgentEngine };
