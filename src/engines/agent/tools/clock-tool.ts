import type { JsonValue } from "../../../domain/json.js";
import { ToolFailure, type ToolDefinition } from "./types.js";

/** The built-in clock tool's id (24 hex digits, as context graphs name tools). */
export const CLOCK_TOOL_ID = "00000000000000000000c10c";

/**
 * Built-in tool: the current date and time, in a time zone when given one (an IANA name such as
 * `Europe/Paris`; default UTC). Result: `{ iso, timezone, date, time, weekday }`.
 */
export function clockTool(now: () => Date = () => new Date()): ToolDefinition {
  return {
    id: CLOCK_TOOL_ID,
    name: "clock",
    description: "The current date, time and weekday, in a given IANA time zone (default UTC).",
    version: "1.0.0",
    inputSchema: {
      type: "object",
      properties: { timezone: { type: "string", description: "IANA time zone, e.g. Europe/Paris" } },
    },
    timeoutMs: 1000,
    invoke(parameters): Promise<JsonValue> {
      const timezone = typeof parameters.timezone === "string" ? parameters.timezone : "UTC";
      const at = now();
      let parts: Intl.DateTimeFormatPart[];
      try {
        parts = new Intl.DateTimeFormat("en-US", {
          timeZone: timezone,
          weekday: "long",
          year: "numeric",
          month: "2-digit",
          day: "2-digit",
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
        }).formatToParts(at);
      } catch {
        return Promise.reject(new ToolFailure("invalid_parameters", `unknown time zone "${timezone}"`));
      }
      const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
      return Promise.resolve({
        iso: at.toISOString(),
        timezone,
        date: `${part("year")}-${part("month")}-${part("day")}`,
        time: `${part("hour")}:${part("minute")}`,
        weekday: part("weekday"),
      });
    },
  };
}
