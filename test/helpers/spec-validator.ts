import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect } from "vitest";

/** The Amigo spec lives in `shared/` beside the repository (CI clones the repo with shared/ next to it). */
const specPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../shared/amigo-openapi.json",
);
const spec = JSON.parse(fs.readFileSync(specPath, "utf8")) as {
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
};

const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec, "amigo");

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

function operation(operationId: string): { path: string; method: string } {
  for (const [route, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op.operationId === operationId) return { path: route, method };
    }
  }
  throw new Error(`operation ${operationId} not in the spec`);
}

/** Fails the test unless `body` is what the spec documents for that operation and status. */
export function expectResponseMatchesSpec(
  operationId: string,
  status: number,
  body: unknown,
  contentType = "application/json",
) {
  const op = operation(operationId);
  const ref = `amigo#/${pointer("paths", op.path, op.method, "responses", String(status), "content", contentType, "schema")}`;
  const validate = ajv.compile({ $ref: ref });
  const valid = validate(body);
  expect(
    valid,
    `${operationId} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
  ).toBe(true);
}

/** Fails the test unless `value` matches the named component schema. */
export function expectSchemaMatch(schemaName: string, value: unknown) {
  const validate =
    ajv.getSchema(`amigo#/components/schemas/${schemaName}`) ??
    ajv.compile({ $ref: `amigo#/components/schemas/${schemaName}` });
  const valid = validate(value);
  expect(
    valid,
    `${schemaName}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`,
  ).toBe(true);
}

const EVENT_SCHEMAS: Record<string, string> = {
  "conversation-created": "ConversationCreatedEvent",
  "user-message-available": "UserMessageAvailableEvent",
  "current-agent-action": "CurrentAgentActionEvent",
  "new-message": "NewMessageEvent",
  "interaction-complete": "InteractionCompleteEvent",
  error: "ErrorEvent",
};

/** Validates each stream event against the spec's schema for its type. */
export function expectEventsMatchSpec(events: { type: string }[]) {
  for (const event of events) {
    const schema = EVENT_SCHEMAS[event.type];
    if (schema === undefined) throw new Error(`unknown event type ${event.type}`);
    expectSchemaMatch(schema, event);
  }
}

/**
 * The error bodies the API answers with. The spec documents no content for its error statuses; its
 * server is FastAPI, whose bodies are these: a validation failure (422) lists `{ loc, msg, type }`, any
 * other error carries its message as `detail`.
 */
const validationErrorBody = ajv.compile({
  type: "object",
  required: ["detail"],
  properties: {
    detail: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["loc", "msg", "type"],
        properties: {
          loc: { type: "array", minItems: 1, items: { type: ["string", "integer"] } },
          msg: { type: "string", minLength: 1 },
          type: { type: "string", minLength: 1 },
        },
      },
    },
  },
});
const errorBody = ajv.compile({
  type: "object",
  required: ["detail"],
  properties: { detail: { type: "string", minLength: 1 } },
});

/** Fails the test unless `body` is the API's error body for `status` (the validation list for 422). */
export function expectErrorBody(status: number, body: unknown) {
  const validate = status === 422 ? validationErrorBody : errorBody;
  expect(
    validate(body),
    `${status} error body: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
  ).toBe(true);
}

/** The statuses the spec documents for an operation. */
export function documentedStatuses(operationId: string): number[] {
  const op = operation(operationId);
  return Object.keys(spec.paths[op.path]![op.method]!.responses ?? {}).map(Number);
}

/**
 * Fails the test unless `status` is one the spec documents for the operation (or one of `alsoAllowed`,
 * statuses Parley adds, such as 413 for a body over its size limit) and `body` is what the spec
 * documents for it: the response schema for a success, the API's error body for an error.
 */
export function expectOperationResponse(
  operationId: string,
  status: number,
  body: unknown,
  options: { contentType?: string; alsoAllowed?: number[] } = {},
) {
  expect(
    [...documentedStatuses(operationId), ...(options.alsoAllowed ?? [])],
    `${operationId} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`,
  ).toContain(status);
  if (status >= 400) {
    expectErrorBody(status, body);
    return;
  }
  const op = operation(operationId);
  const content = (
    spec.paths[op.path]![op.method]!.responses?.[String(status)] as { content?: Record<string, unknown> }
  ).content;
  if (content === undefined) {
    expect(body, `${operationId} ${status} documents no body`).toBeNull();
    return;
  }
  expectResponseMatchesSpec(operationId, status, body, options.contentType ?? Object.keys(content)[0]);
}

/** Whether `value` is valid for the spec's schema at a JSON pointer (`#/components/schemas/X`, …). */
export function specAccepts(pointer: string, value: unknown): boolean {
  const validate = ajv.getSchema(`amigo${pointer}`) ?? ajv.compile({ $ref: `amigo${pointer}` });
  return validate(value) === true;
}

/** The spec's JSON at a pointer (`#/components/schemas/X`), as written. */
export function specSchema(pointer: string): Record<string, unknown> {
  let node: unknown = spec;
  for (const part of pointer.replace(/^#\//, "").split("/")) {
    node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node as Record<string, unknown>;
}
