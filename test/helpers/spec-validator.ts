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
