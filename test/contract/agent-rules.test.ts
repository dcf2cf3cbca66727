import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import { controllableAgent } from "../helpers/test-agents.js";
import { runContract } from "./agent.js";

runContract("rules", () => createRulesAgentEngine());
// The failure-injecting test agent must behave like a real engine when no failure is asked for.
runContract("controllable test agent", () => controllableAgent());
