import type { FastifyInstance } from "fastify";
import { API_SCHEMAS } from "../api-spec/api-schemas.generated.js";

/** The spec's `{name}` path parameters as Fastify's `:name`. */
export function fastifyPathOf(specPath: string): string {
  return specPath.replace(/\{([^}]+)\}/g, ":$1");
}

/**
 * Every operation of the spec that Parley does not implement answers 501 with the API's error body,
 * naming the operation, so a client learns it is missing rather than mistyped (docs/api-operations.md
 * lists them). A route some other part already serves at that method and path is left alone.
 */
export function registerNotImplementedOperations(app: FastifyInstance): void {
  for (const operation of API_SCHEMAS.operations) {
    if (operation.implemented) continue;
    const method = operation.method.toUpperCase();
    const url = fastifyPathOf(operation.path);
    if (app.hasRoute({ method, url })) continue;
    const detail = `${operation.summary} (${operation.operationId}) is not implemented by Parley`;
    app.route({
      method,
      url,
      handler: async (_request, reply) => reply.code(501).send({ detail }),
    });
  }
}

/**
 * Requests for no route (an unknown path, or a path parameter past the router's length limit) get the
 * API's 404 body instead of the framework's own.
 */
export function registerUnknownRoutes(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request, reply) => {
    // The body of a request for no route is not read: the connection closes after the answer.
    if (!request.raw.complete) void reply.header("connection", "close");
    return reply.code(404).send({ detail: "Not Found" });
  });
}
