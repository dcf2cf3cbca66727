import { createRulesAgentEngine } from "../../src/engines/agent/rules/index.js";
import { probedAgent } from "../helpers/probed-agent.js";
import { runContract } from "./agent.js";

runContract("rules", () => createRulesAgentEngine());
// The failure-injecting test agent must behave like a real engine when no failure is asked for.
runContract("probed test agent", () => probedAgent());
