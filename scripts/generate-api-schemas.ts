/**
 * Generates `src/http/api-spec/api-schemas.generated.ts` from Amigo's OpenAPI document: every operation
 * (method, path, documented statuses and rate limit, whether Parley implements it) and, for the
 * implemented ones, the request schemas (path, query, body) with the component schemas they reference.
 * The server compiles these at start, so it never reads the spec itself at run time.
 *
 * Usage: `npx tsx scripts/generate-api-schemas.ts [path/to/amigo-openapi.json]` (default `../shared/`
 * beside the repository). A test checks that the committed file is what this script generates.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import prettier from "prettier";
import type {
  ApiOperation,
  ApiRequestSchemas,
  ApiSchemaDocument,
  JsonSchema,
  QueryKind,
} from "../src/http/api-spec/types.js";

/** The operations Parley serves; every other operation of the spec answers 501. */
export const IMPLEMENTED_OPERATIONS: readonly string[] = [
  "get-organization",
  "sign-in-with-api-key",
  "create-invited-user",
  "get-users",
  "update-user-info",
  "delete-user",
  "get-user-model",
  "create-api-key",
  "get-api-keys",
  "delete-api-key",
  "create-agent",
  "get-agents",
  "create-agent-version",
  "delete-agent",
  "get-agent-versions",
  "create-service-hierarchical-state-machine",
  "get-service-hierarchical-state-machines",
  "create-service-hierarchical-state-machine-version",
  "delete-service-hierarchical-state-machine",
  "get-service-hierarchical-state-machine-versions",
  "get-services",
  "create-service",
  "update-service",
  "upsert-service-version-set",
  "create-conversation",
  "get-conversations",
  "get-conversation-messages",
  "finish-conversation",
  "recommend-responses-for-interaction",
  "get-interaction-insights",
  "interact-with-conversation",
  "retrieve-message-source",
  "generate-conversation-starter",
  "modify-tags-of-conversation",
];

export const GENERATED_FILE = "src/http/api-spec/api-schemas.generated.ts";

interface SpecParameter {
  name: string;
  in: string;
  required?: boolean;
  schema: JsonSchema;
}
interface SpecOperation {
  operationId: string;
  summary?: string;
  parameters?: SpecParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description?: string }>;
}
interface Spec {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

const METHODS = ["get", "post", "put", "delete", "patch"] as const;
const REF_PREFIX = "#/components/schemas/";

/**
 * Pydantic's "stripped non-empty" strings are trimmed before their length is checked, so text of
 * spaces alone is not valid either: such components also need one character that is not a space.
 */
function withStrippedRule(name: string, schema: JsonSchema): JsonSchema {
  if (!name.startsWith("StrippedNonemptyString") && !name.includes("__StrippedNonemptyString")) return schema;
  return { ...schema, allOf: [{ pattern: "\\S" }] };
}

/** The names of the component schemas `schema` references, directly or through others. */
function collectRefs(schema: unknown, components: Record<string, JsonSchema>, found: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const item of schema) collectRefs(item, components, found);
    return;
  }
  if (typeof schema !== "object" || schema === null) return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith(REF_PREFIX)) {
      const name = value.slice(REF_PREFIX.length);
      if (!found.has(name)) {
        found.add(name);
        const target = components[name];
        if (target === undefined) throw new Error(`unknown schema ${name}`);
        collectRefs(target, components, found);
      }
    } else {
      collectRefs(value, components, found);
    }
  }
}

function resolve(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith(REF_PREFIX)) {
    return resolve(components[ref.slice(REF_PREFIX.length)] ?? {}, components);
  }
  return schema;
}

/** How a query parameter's text is read (see {@link QueryKind}), from its schema's types. */
function queryKindOf(schema: JsonSchema, components: Record<string, JsonSchema>): QueryKind {
  const resolved = resolve(schema, components);
  const branches = Array.isArray(resolved.anyOf) ? (resolved.anyOf as JsonSchema[]) : [resolved];
  const types = new Set<string>();
  for (const branch of branches) {
    const target = resolve(branch, components);
    if (typeof target.type === "string") types.add(target.type);
    else if (target.oneOf !== undefined || target.properties !== undefined) types.add("object");
  }
  for (const kind of ["array", "object", "integer", "number", "boolean"] as const) {
    if (types.has(kind)) return kind === "object" ? "json" : kind;
  }
  return "string";
}

function parameterObject(parameters: SpecParameter[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const parameter of parameters) {
    properties[parameter.name] = parameter.schema;
    if (parameter.required === true) required.push(parameter.name);
  }
  return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
}

/** The per-user requests per minute a 429 description states ("the rate limit of 5 requests per minute"). */
export function rateLimitOf(description: string | undefined): number | null {
  const match = /rate limit of (\d+) requests? per minute/.exec(description ?? "");
  return match === null ? null : Number(match[1]);
}

/** The generated document, before it is written as TypeScript. */
export function buildApiSchemaDocument(spec: Spec): ApiSchemaDocument {
  const operations: ApiOperation[] = [];
  const requests: Record<string, ApiRequestSchemas> = {};
  const referenced = new Set<string>();
  for (const [route, methods] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const operation = methods[method];
      if (operation === undefined) continue;
      const implemented = IMPLEMENTED_OPERATIONS.includes(operation.operationId);
      operations.push({
        operationId: operation.operationId,
        method,
        path: route,
        summary: operation.summary ?? "",
        rateLimitPerMinute: rateLimitOf(operation.responses["429"]?.description),
        statuses: Object.keys(operation.responses).map(Number),
        implemented,
      });
      if (!implemented) continue;
      const parameters = operation.parameters ?? [];
      const query = parameters.filter((p) => p.in === "query");
      const content = Object.entries(operation.requestBody?.content ?? {})[0];
      const request: ApiRequestSchemas = {
        params: parameterObject(parameters.filter((p) => p.in === "path")),
        query: parameterObject(query),
        queryKinds: Object.fromEntries(
          query.map((p) => [p.name, queryKindOf(p.schema, spec.components.schemas)]),
        ),
        body:
          content === undefined
            ? null
            : {
                contentType: content[0],
                required: operation.requestBody?.required === true,
                schema: content[1].schema,
              },
      };
      collectRefs(request, spec.components.schemas, referenced);
      requests[operation.operationId] = request;
    }
  }
  const missing = IMPLEMENTED_OPERATIONS.filter((id) => requests[id] === undefined);
  if (missing.length > 0) throw new Error(`operations not in the spec: ${missing.join(", ")}`);
  const components: Record<string, JsonSchema> = {};
  for (const name of [...referenced].sort()) {
    components[name] = withStrippedRule(name, spec.components.schemas[name]!);
  }
  const enumLists: Record<string, string> = {};
  const hoisted = hoistLongEnums({ requests, components }, enumLists) as Pick<
    ApiSchemaDocument,
    "requests" | "components"
  >;
  return { operations, ...hoisted, enumLists };
}

/** Enums longer than this move to `enumLists` (the languages and time zones have hundreds of values). */
const LONG_ENUM = 50;

/**
 * A copy of `value` whose long enums of single-word strings are `$ref`s to `#/components/schemas/<name>`,
 * the values kept once, space-separated, in `enumLists[name]`: the generated file stays small.
 */
function hoistLongEnums(value: unknown, enumLists: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => hoistLongEnums(item, enumLists));
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const words = key === "enum" && Array.isArray(item) && item.length > LONG_ENUM ? item : undefined;
    if (words !== undefined && words.every((w) => typeof w === "string" && /^\S+$/.test(w))) {
      const list = words.join(" ");
      let name = Object.keys(enumLists).find((existing) => enumLists[existing] === list);
      if (name === undefined) {
        name = `ParleyEnum${Object.keys(enumLists).length + 1}`;
        enumLists[name] = list;
      }
      copy.$ref = `${REF_PREFIX}${name}`;
    } else {
      copy[key] = hoistLongEnums(item, enumLists);
    }
  }
  return copy;
}

/** The generated file's text, formatted as the repository's Prettier settings format it. */
export async function generateApiSchemaSource(spec: Spec, repoRoot: string): Promise<string> {
  const document = buildApiSchemaDocument(spec);
  const source = [
    "// Generated by scripts/generate-api-schemas.ts from amigo-openapi.json: do not edit by hand.",
    'import type { ApiSchemaDocument } from "./types.js";',
    "",
    "/** The spec's operations and the request schemas of the implemented ones. */",
    `export const API_SCHEMAS: ApiSchemaDocument = ${JSON.stringify(document)};`,
    "",
  ].join("\n");
  const target = path.join(repoRoot, GENERATED_FILE);
  const options = (await prettier.resolveConfig(target)) ?? {};
  return prettier.format(source, { ...options, filepath: target });
}

/** The repository root, from this script's location. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The spec beside the repository (CI clones the repository with `shared/` next to it). */
export const DEFAULT_SPEC_PATH = path.resolve(REPO_ROOT, "../shared/amigo-openapi.json");

async function main(): Promise<void> {
  const specPath = process.argv[2] ?? DEFAULT_SPEC_PATH;
  const spec = JSON.parse(fs.readFileSync(specPath, "utf8")) as Spec;
  const source = await generateApiSchemaSource(spec, REPO_ROOT);
  fs.writeFileSync(path.join(REPO_ROOT, GENERATED_FILE), source);
  console.log(`wrote ${GENERATED_FILE} (${source.length} characters) from ${specPath}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
