import type { Config } from "../../config/config.js";
import { httpTool } from "../../engines/agent/tools/http-tool.js";
import type { ToolRegistry } from "../../engines/agent/tools/registry.js";
import { OPEN_SLOTS_INPUT_SCHEMA, OPEN_SLOTS_TOOL_ID } from "./open-slots.js";
import { type OpenSlotsServer, startOpenSlotsServer } from "./open-slots-server.js";

/**
 * Starts the demo's open-slots endpoint (answering after `PARLEY_DEMO_TOOL_DELAY_MS`) and registers
 * it as the HTTP tool the demo graph's `find_open_slot` state calls (timeout `PARLEY_TOOL_TIMEOUT_MS`).
 */
export async function startDemoTool(tools: ToolRegistry, config: Config): Promise<OpenSlotsServer> {
  const server = await startOpenSlotsServer({ delayMs: config.engines.demoToolDelayMs });
  tools.register(
    httpTool({
      id: OPEN_SLOTS_TOOL_ID,
      name: "open_slots",
      description:
        "Finds the next open appointment slot at Maple Clinic, near the time the caller asked for.",
      version: "1.0.0",
      url: server.url,
      timeoutMs: config.engines.toolTimeoutMs,
      inputSchema: OPEN_SLOTS_INPUT_SCHEMA,
    }),
  );
  return server;
}
