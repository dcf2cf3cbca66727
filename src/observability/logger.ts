import type { DestinationStream, LoggerOptions } from "pino";
import type { Config } from "../config/config.js";

/**
 * Logger options for the server. Request logs carry method, route and status only: bodies, query
 * strings (which may hold user text) and credentials are never logged.
 */
export function loggerOptions(
  config: Pick<Config, "logLevel">,
  stream?: DestinationStream,
): LoggerOptions & { stream?: DestinationStream } {
  return {
    ...(stream === undefined ? {} : { stream }),
    level: config.logLevel,
    redact: ["req.headers.authorization", "req.headers['x-api-key']"],
    serializers: {
      req: (req: { method?: string; routeOptions?: { url?: string }; url?: string }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? req.url?.split("?")[0],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
