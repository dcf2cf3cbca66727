import type { IncomingMessage } from "node:http";
import { AppError } from "../../lib/app-error.js";
import type { InteractBody } from "../api-spec/request-types.js";
import type { ApiRequestValidator } from "../api-spec/request-validator.js";
import type { BodyLimits } from "../body-stream.js";
import { readMultipart } from "../multipart.js";
import { validationError } from "../request-helpers.js";

export type { InteractBody } from "../api-spec/request-types.js";

const OPERATION = "interact-with-conversation";

/**
 * The fields of a multipart body as the schema's object: list fields (also sent as `name[]`) keep
 * every value, other fields their first.
 */
function objectOfFields(fields: Map<string, string[]>, lists: Set<string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [rawName, values] of fields) {
    // A part without a name is no field of the schema.
    if (typeof rawName !== "string") continue;
    const name = rawName.endsWith("[]") ? rawName.slice(0, -2) : rawName;
    if (lists.has(name)) body[name] = [...((body[name] as string[] | undefined) ?? []), ...values];
    else if (!Object.hasOwn(body, name)) body[name] = values[0];
  }
  return body;
}

/** The checks the schema cannot make: a message of spaces alone, and one timestamp per external event. */
function checkInteractBody(body: InteractBody): InteractBody {
  if (body.initial_message_type !== "skip" && body.recorded_message.trim().length === 0) {
    // The spec's 400: "the user message is empty".
    throw new AppError("bad_request", "The user message is empty");
  }
  if (body.external_event_message_content.length !== body.external_event_message_timestamp.length) {
    throw validationError(
      ["body", "external_event_message_timestamp"],
      "needs one timestamp per external event",
    );
  }
  return body;
}

/**
 * Reads a text interact body, multipart/form-data as the spec says (a JSON object with the same fields is
 * accepted too), and checks it against the spec's schema: 422 when it fails, naming each field.
 */
export async function readInteractBody(
  raw: IncomingMessage,
  parsedJson: unknown,
  options: { limits: BodyLimits; maxParts: number; signal: AbortSignal; api: ApiRequestValidator },
): Promise<InteractBody> {
  const contentType = raw.headers["content-type"] ?? "";
  let body: unknown;
  if (contentType.startsWith("multipart/form-data")) {
    body = objectOfFields(await readMultipart(raw, options), options.api.listFields(OPERATION));
  } else if (contentType.split(";")[0]?.trim() === "application/json") {
    body = parsedJson;
  } else {
    throw validationError(["header", "content-type"], "must be multipart/form-data");
  }
  return checkInteractBody(options.api.validateBody<InteractBody>(OPERATION, body));
}
