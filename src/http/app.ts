import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import type { DestinationStream } from "pino";
import { isAbortError, isAppError } from "../lib/app-error.js";
import { bodyLimitsFor, parseJsonBody } from "./body-stream.js";
import { loggerOptions } from "../observability/logger.js";
import { createAppState, type AppDeps } from "./deps.js";
import { adminRoutes } from "./routes/admin.js";
import { conversationRoutes } from "./routes/conversation.js";
import { docsRoutes } from "./routes/docs.js";
import { organizationRoutes } from "./routes/organization.js";
import { userRoutes } from "./routes/user.js";
import { webRoutes } from "./routes/web.js";

/** Builds the HTTP server with every route; the caller decides where it listens. */
export async function buildApp(
  deps: AppDeps,
  logStream?: DestinationStream,
  transports: ((app: FastifyInstance) => Promise<void>)[] = [],
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config, logStream),
    bodyLimit: deps.config.maxTextBodyBytes,
    // A backstop for bodies no route reads; the routes' own limits answer sooner with 408.
    requestTimeout: deps.config.bodyTimeoutMs + 5000,
    // Query parameters may repeat (`id=a&id=b`); the default parser turns repeats into arrays.
    // Long path parameters reach the routes, which answer 404 or 422 as the spec says (not 414).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 10_000 },
  });
  const state = createAppState(deps.config);

  // Multipart and audio bodies are streamed by the routes themselves, not buffered by Fastify.
  app.addContentTypeParser(["multipart/form-data", "application/octet-stream"], (_request, _payload, done) =>
    done(null, undefined),
  );
  app.addContentTypeParser(/^audio\//, (_request, _payload, done) => done(null, undefined));
  // Any other content type reaches the route unread: its own validation answers 422 (or 415 for a
  // voice message), as the spec documents, instead of Fastify's 415.
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  // JSON bodies are read within the text limits (size 413; stall, deadline and minimum rate 408).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", async (request: FastifyRequest) =>
    parseJsonBody(request.raw, bodyLimitsFor(deps.config, "text")),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // The rest of a body that was refused midway is not read: the connection closes after the answer.
    if (!request.raw.complete) void reply.header("connection", "close");
    if (request.raw.socket?.destroyed === true || isAbortError(error)) {
      request.log.info("the client closed the connection before the answer");
      return reply.code(400).send({ detail: "The client closed the connection" });
    }
    if (isAppError(error)) {
      if (error.code === "internal") request.log.error({ err: error.cause ?? error }, error.message);
      const detail = error.detail ?? error.message;
      return reply.code(error.httpStatus).send({ detail });
    }
    if (error.validation !== undefined) {
      return reply.code(422).send({
        detail: error.validation.map((issue) => ({
          loc: [error.validationContext ?? "body", ...issue.instancePath.split("/").filter(Boolean)],
          msg: issue.message ?? "invalid",
          type: "value_error",
        })),
      });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      const status =
        error.statusCode === 400 && error.code === "FST_ERR_CTP_INVALID_JSON_BODY" ? 422 : error.statusCode;
      return reply.code(status).send({ detail: error.message });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send({ detail: "Internal server error" });
  });

  await app.register(organizationRoutes(deps, state));
  await app.register(userRoutes(deps, state));
  await app.register(adminRoutes(deps));
  await app.register(conversationRoutes(deps));
  await app.register(docsRoutes);
  await app.register(webRoutes(deps));
  // Other transports (the real-time WebSocket) register here, sharing the error handler and parsers.
  for (const register of transports) await app.register(register);
  app.get("/metrics", async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
  return app;
}
