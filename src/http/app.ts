import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { DestinationStream } from "pino";
import { isAbortError, isAppError } from "../lib/app-error.js";
import { bodyLimitsFor, parseJsonBody } from "./body-stream.js";
import { loggerOptions } from "../observability/logger.js";
import { createAppState, type AppDeps } from "./deps.js";
import { registerNotImplementedOperations, registerUnknownRoutes } from "./routes/not-implemented.js";
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
    // Path parameters up to 10,000 characters reach the routes, which answer 404 or 422 as the spec says.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 10_000 },
    // Errors the router raises before any route runs get the API's bodies too. A path parameter past
    // the length limit, or a path that does not decode, is the spec's 422 for a path parameter that
    // failed validation.
    frameworkErrors: (error, _request, routerReply) => {
      const reply = routerReply as unknown as FastifyReply;
      if (error.code === "FST_ERR_MAX_PARAM_LENGTH" || error.code === "FST_ERR_BAD_URL") {
        const msg =
          error.code === "FST_ERR_BAD_URL"
            ? "is not a valid URL component"
            : "is longer than 10000 characters";
        void reply.code(422).send({ detail: [{ loc: ["path"], msg, type: "value_error" }] });
        return;
      }
      const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
      void reply.code(status).send({ detail: status === 500 ? "Internal server error" : error.message });
    },
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
      // A 422 always has the API's validation body: a list of `{ loc, msg, type }`.
      const detail =
        error.httpStatus === 422 && !Array.isArray(error.detail)
          ? [{ loc: ["body"], msg: error.message, type: "value_error" }]
          : (error.detail ?? error.message);
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
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
      return reply.code(422).send({ detail: [{ loc: ["body"], msg: error.message, type: "json_invalid" }] });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ detail: error.message });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send({ detail: "Internal server error" });
  });

  await app.register(organizationRoutes(deps, state));
  await app.register(userRoutes(deps, state));
  await app.register(adminRoutes(deps, state));
  await app.register(conversationRoutes(deps, state));
  await app.register(docsRoutes);
  await app.register(webRoutes(deps));
  // Other transports (the real-time WebSocket) register here, sharing the error handler and parsers.
  for (const register of transports) await app.register(register);
  app.get("/metrics", async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
  // The spec's other operations answer 501; a path that is no route at all answers 404, both as the API.
  registerNotImplementedOperations(app);
  registerUnknownRoutes(app);
  return app;
}
