/**
 * One error type for everything the server reports to a client. Each code has a fixed HTTP status and
 * WebSocket close code, so a failure maps the same way on every transport.
 */
export const ERROR_TABLE = {
  bad_request: { httpStatus: 400, wsCloseCode: 4400 },
  unauthorized: { httpStatus: 401, wsCloseCode: 4401 },
  forbidden: { httpStatus: 403, wsCloseCode: 4403 },
  not_found: { httpStatus: 404, wsCloseCode: 4404 },
  request_timeout: { httpStatus: 408, wsCloseCode: 4408 },
  conflict: { httpStatus: 409, wsCloseCode: 4409 },
  payload_too_large: { httpStatus: 413, wsCloseCode: 1009 },
  unsupported_media_type: { httpStatus: 415, wsCloseCode: 1003 },
  unprocessable: { httpStatus: 422, wsCloseCode: 4422 },
  rate_limited: { httpStatus: 429, wsCloseCode: 4429 },
  internal: { httpStatus: 500, wsCloseCode: 1011 },
  not_implemented: { httpStatus: 501, wsCloseCode: 1011 },
  service_unavailable: { httpStatus: 503, wsCloseCode: 1013 },
} as const satisfies Record<string, { httpStatus: number; wsCloseCode: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly wsCloseCode: number;
  /** Optional structured detail (for example validation errors) safe to show to the client. */
  readonly detail: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; detail?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.httpStatus = ERROR_TABLE[code].httpStatus;
    this.wsCloseCode = ERROR_TABLE[code].wsCloseCode;
    this.detail = options.detail;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Wraps anything thrown into an AppError; unknown failures become `internal` without leaking details. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError("internal", "Internal server error", { cause: error });
}

/** An abort (a client gone, a cancelled reply) rather than a failure. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
