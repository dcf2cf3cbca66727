import type { IncomingMessage } from "node:http";
import { AppError } from "../../lib/app-error.js";
import type { BodyLimits } from "../body-stream.js";
import { readMultipart } from "../multipart.js";
import { validationError, textOf } from "../request-helpers.js";

/** The interact request body (multipart form per the spec; a JSON object with the same fields is accepted). */
export interface InteractBody {
  initialMessageType: "user-message" | "external-event" | "skip";
  recordedMessage: string;
  externalEventContents: string[];
  externalEventTimestamps: string[];
}

function fromFields(get: (name: string) => string[]): InteractBody {
  const type = get("initial_message_type")[0] ?? "user-message";
  if (type !== "user-message" && type !== "external-event" && type !== "skip") {
    throw validationError(["body", "initial_message_type"], "must be user-message, external-event or skip");
  }
  const recordedMessage = get("recorded_message")[0];
  if (recordedMessage === undefined) throw validationError(["body", "recorded_message"], "is required");
  const body: InteractBody = {
    initialMessageType: type,
    recordedMessage,
    externalEventContents: get("external_event_message_content"),
    externalEventTimestamps: get("external_event_message_timestamp"),
  };
  if (type === "skip") {
    if (recordedMessage.length > 0)
      throw validationError(["body", "recorded_message"], "must be empty for skip");
    if (body.externalEventContents.length > 0) {
      throw validationError(["body", "external_event_message_content"], "must be empty for skip");
    }
  } else if (recordedMessage.trim().length === 0) {
    throw new AppError("bad_request", "The user message is empty");
  }
  if (body.externalEventContents.length !== body.externalEventTimestamps.length) {
    throw validationError(
      ["body", "external_event_message_timestamp"],
      "needs one timestamp per external event",
    );
  }
  return body;
}

/** Reads a text interact body: multipart/form-data, or JSON carrying the same field names. */
export async function readInteractBody(
  raw: IncomingMessage,
  parsedJson: unknown,
  options: { limits: BodyLimits; maxParts: number; signal: AbortSignal },
): Promise<InteractBody> {
  const contentType = raw.headers["content-type"] ?? "";
  if (contentType.startsWith("multipart/form-data")) {
    const fields = await readMultipart(raw, options);
    return fromFields((name) => fields.get(name) ?? fields.get(`${name}[]`) ?? []);
  }
  if (typeof parsedJson === "object" && parsedJson !== null) {
    const json = parsedJson as Record<string, unknown>;
    return fromFields((name) => {
      const value = json[name];
      if (value === undefined || value === null) return [];
      return Array.isArray(value) ? value.map(textOf) : [textOf(value)];
    });
  }
  throw validationError(["header", "content-type"], "must be multipart/form-data");
}
