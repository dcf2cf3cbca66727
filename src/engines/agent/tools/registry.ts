import fs from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import type { JsonValue } from "../../../domain/json.js";
import { clockTool } from "./clock-tool.js";
import { httpTool, type HttpToolSettings } from "./http-tool.js";
import { ToolFailure, type ToolDefinition, type ToolParameters } from "./types.js";

const TOOL_ID = /^[a-f0-9]{24}$/;
const TOOL_NAME = /^[a-z0-9_]+$/;

/**
 * The tools agents may call, by id: the built-in clock, the tools of `PARLEY_TOOLS_FILE`, and tools the
 * server registers itself (the demo's open-slots endpoint). Parameters are checked against each tool's
 * input schema before the call.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, { tool: ToolDefinition; validate: ValidateFunction }>();
  private readonly ajv = new Ajv({ strict: false, allErrors: false });

  constructor(tools: ToolDefinition[] = [clockTool()]) {
    for (const tool of tools) this.register(tool);
  }

  /** Adds or replaces a tool. */
  register(tool: ToolDefinition): void {
    if (!TOOL_ID.test(tool.id)) throw new Error(`tool id "${tool.id}" must be 24 hex digits`);
    if (!TOOL_NAME.test(tool.name)) throw new Error(`tool name "${tool.name}" must match [a-z0-9_]+`);
    this.tools.set(tool.id, { tool, validate: this.ajv.compile(tool.inputSchema) });
  }

  get(id: string): ToolDefinition | undefined {
    return this.tools.get(id)?.tool;
  }

  /** Throws `invalid_parameters` when the parameters do not match the tool's input schema. */
  checkParameters(id: string, parameters: ToolParameters): void {
    const entry = this.tools.get(id);
    if (entry === undefined) throw new ToolFailure("unknown_tool", `no tool is registered as ${id}`);
    if (!entry.validate(parameters)) {
      const first = entry.validate.errors?.[0];
      throw new ToolFailure(
        "invalid_parameters",
        `parameters do not match the input schema: ${first?.instancePath ?? ""} ${first?.message ?? ""}`.trim(),
      );
    }
  }
}

/**
 * Reads `PARLEY_TOOLS_FILE`: a JSON array of `{ id, name, description, version, url, timeout_ms?,
 * input_schema?, headers? }`. Errors name the setting and the entry.
 */
export function loadToolsFile(file: string, defaultTimeoutMs: number): ToolDefinition[] {
  let entries: unknown;
  try {
    entries = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`PARLEY_TOOLS_FILE="${file}" cannot be read as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!Array.isArray(entries)) throw new Error(`PARLEY_TOOLS_FILE="${file}" must hold a JSON array`);
  return entries.map((raw: unknown, index) => {
    const entry = (raw ?? {}) as { [key: string]: JsonValue | undefined };
    const fail = (what: string) => new Error(`PARLEY_TOOLS_FILE entry ${index}: ${what}`);
    const str = (key: string): string => {
      const value = entry[key];
      if (typeof value !== "string" || value === "") throw fail(`"${key}" must be a non-empty string`);
      return value;
    };
    const url = str("url");
    if (!/^https?:\/\//.test(url)) throw fail(`"url" must start with http:// or https://`);
    const timeout = entry.timeout_ms ?? defaultTimeoutMs;
    if (typeof timeout !== "number" || timeout < 1 || timeout > 600_000)
      throw fail(`"timeout_ms" must be between 1 and 600000`);
    const schema = entry.input_schema ?? { type: "object", properties: {} };
    if (typeof schema !== "object" || schema === null || Array.isArray(schema))
      throw fail(`"input_schema" must be a JSON Schema object`);
    const headers = entry.headers;
    const settings: HttpToolSettings = {
      id: str("id"),
      name: str("name"),
      description: str("description"),
      version: typeof entry.version === "string" ? entry.version : "1.0.0",
      url,
      timeoutMs: timeout,
      inputSchema: schema as unknown as HttpToolSettings["inputSchema"],
      ...(typeof headers === "object" && headers !== null && !Array.isArray(headers)
        ? { headers: headers as { [name: string]: string } }
        : {}),
    };
    if (!TOOL_ID.test(settings.id)) throw fail(`"id" must be 24 hex digits`);
    if (!TOOL_NAME.test(settings.name)) throw fail(`"name" must match [a-z0-9_]+`);
    return httpTool(settings);
  });
}
