import type { FastifyRequest } from "fastify";
import type { Principal } from "../domain/principal.js";
import type { ValidatedRequest } from "./api-spec/request-validator.js";
import type { AppState } from "./deps.js";

/**
 * The checks every implemented operation makes once its caller is known: the operation's per-user rate
 * limit (429), then its request against the spec's schemas (422). `params` renames path parameters when
 * a route's names differ from the spec's.
 */
export function operationRequest<Body = Record<string, unknown>>(
  state: AppState,
  operationId: string,
  principal: Principal | undefined,
  request: FastifyRequest,
  params: Record<string, string> = request.params as Record<string, string>,
  options: { skipBody?: boolean } = {},
): ValidatedRequest<Body> {
  if (principal !== undefined) state.operationLimits.count(operationId, principal);
  return state.api.validate<Body>(
    operationId,
    { params, query: request.query as Record<string, unknown>, body: request.body },
    options,
  );
}
