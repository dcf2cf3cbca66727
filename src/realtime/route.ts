import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authenticate, requirePermission } from "../http/auth.js";
import type { AppDeps } from "../http/deps.js";
import { actionFilterFor } from "../http/routes/conversation-guards.js";
import { AppError, toAppError } from "../lib/app-error.js";
import { closeCodeOf } from "./messages.js";
import { ExpiredSessions } from "./resume.js";
import { RealtimeSession, type SessionOptions } from "./session.js";

/** Frames larger than this close the socket with 1009. */
export const MAX_FRAME_BYTES = 1024 * 1024;

type Query = Record<string, unknown>;

function sessionOptions(query: Query): Omit<SessionOptions, "filter"> {
  const responseFormat = query.response_format ?? "voice";
  if (responseFormat !== "voice" && responseFormat !== "text") {
    throw new AppError("unprocessable", "response_format must be voice or text");
  }
  const audioFormat = query.audio_format ?? "pcm";
  if (audioFormat !== "pcm" && audioFormat !== "mp3")
    throw new AppError("unprocessable", "audio_format must be pcm or mp3");
  return { responseFormat, audioFormat, includeLatencyReport: query.include_latency_report === "true" };
}

/**
 * `GET /v1/{org}/conversation/converse_realtime`: the real-time WebSocket (docs/realtime.md). The
 * upgrade always completes (the offered subprotocol is echoed); bad credentials then get `server.error`
 * and close 4401, since browsers cannot read a refused handshake's status.
 */
export async function realtimeRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  registry: Map<string, RealtimeSession>,
): Promise<void> {
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  const expired = new ExpiredSessions();
  app.addHook("preClose", async () => {
    await Promise.all(
      [...registry.values()].map((session) => session.shutdown(1001, "the server is shutting down")),
    );
  });
  app.get<{ Params: { organization: string }; Querystring: Query }>(
    "/v1/:organization/conversation/converse_realtime",
    { websocket: true },
    (socket, request: FastifyRequest<{ Params: { organization: string }; Querystring: Query }>) => {
      const refuse = (error: unknown) => {
        const appError = toAppError(error);
        socket.send(
          JSON.stringify({
            type: "server.error",
            seq: 1,
            http_error_code: appError.httpStatus,
            error_description: appError.message,
            code: appError.code,
            fatal: true,
          }),
        );
        socket.close(closeCodeOf(appError), appError.message.slice(0, 120));
      };
      // Frames that arrive while the caller is being authenticated wait here (bounded by the start rule:
      // a session takes one start message; anything beyond 16 frames before it is refused as misuse).
      const early: [Buffer, boolean][] = [];
      const hold = (data: Buffer, isBinary: boolean) => {
        if (early.length >= 16) socket.close(1008, "too many messages before the session started");
        else early.push([data, isBinary]);
      };
      socket.on("message", hold);
      authenticate(deps, request, request.params.organization)
        .then((principal) => {
          requirePermission(principal, "Conversation:InteractWithConversation");
          if (deps.config.maintenanceMode) {
            throw new AppError("service_unavailable", "The service is going through temporary maintenance");
          }
          const options = {
            ...sessionOptions(request.query),
            filter: actionFilterFor(principal, request.query),
          };
          socket.off("message", hold);
          const session = new RealtimeSession(socket, principal, options, {
            conversations: deps.conversations,
            stt: deps.engines.stt,
            vad: deps.engines.vad,
            metrics: deps.metrics,
            maxAudioDurationMs: deps.config.maxAudioDurationMs,
            resumeGraceMs: deps.config.resumeGraceMs,
            registry,
            expired,
            log: request.log,
          });
          for (const [data, isBinary] of early) session.receive(data, isBinary);
        })
        .catch(refuse);
    },
  );
}

/** Server shutdown: each session's running turn finishes, then its socket closes with 1001. */
export async function shutdownRealtime(registry: Map<string, RealtimeSession>): Promise<void> {
  await Promise.all(
    [...registry.values()].map((session) => session.shutdown(1001, "the server is shutting down")),
  );
}
