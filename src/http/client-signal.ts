import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Aborted when the client goes away before its response is complete: during the upload, while the
 * request is being worked on, or while the reply streams. One signal per request, the parent of every
 * piece of work done for it.
 */
export function clientGoneSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const gone = () => {
    if (!reply.raw.writableFinished) {
      controller.abort(new DOMException("The client closed the connection", "AbortError"));
    }
  };
  request.raw.once("aborted", gone);
  reply.raw.once("close", gone);
  if (request.raw.socket?.destroyed === true) gone();
  return controller.signal;
}
