import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { AppError } from "../../lib/app-error.js";
import { API_SCHEMAS } from "./api-schemas.generated.js";
import type { ApiRequestSchemas, ApiSchemaDocument, JsonSchema, QueryKind } from "./types.js";

/** One entry of the API's validation error body, `{ detail: [{ loc, msg, type }] }`. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** The request of an operation as its handler receives it: checked against the spec, defaults filled. */
export interface ValidatedRequest<Body> {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Body;
}

/** What a transport read of a request, before validation. */
export interface RawRequestParts {
  params?: Record<string, string>;
  /** The query as parsed (a repeated parameter is an array of its values). */
  query?: Record<string, unknown>;
  /** The JSON body, or the fields of a multipart body; `undefined` when there was none. */
  body?: unknown;
}

interface CompiledOperation {
  schemas: ApiRequestSchemas;
  params: ValidateFunction;
  query: ValidateFunction;
  body: ValidateFunction | undefined;
  /** For a body that is one of several forms told apart by one field's constant: that field. */
  bodyTag: { field: string; forms: Map<string, ValidateFunction> } | undefined;
}

const DOCUMENT_ID = "parley-api";

/** A 422 with the API's validation error body. */
export function validationFailure(issues: ValidationIssue[]): AppError {
  const summary = issues.map((issue) => `${issue.loc.join(".")}: ${issue.msg}`).join("; ");
  return new AppError("unprocessable", summary, { detail: issues });
}

/** The schema of one form of a `oneOf`, when every form fixes `field` to a constant. */
function taggedForms(schema: JsonSchema): { field: string; forms: [string, JsonSchema][] } | undefined {
  const forms = schema.oneOf;
  if (!Array.isArray(forms) || forms.length === 0) return undefined;
  const first = forms[0] as JsonSchema;
  const properties = (first.properties ?? {}) as Record<string, JsonSchema>;
  const field = Object.keys(properties).find((name) => properties[name]?.const !== undefined);
  if (field === undefined) return undefined;
  const tagged: [string, JsonSchema][] = [];
  for (const form of forms as JsonSchema[]) {
    const tag = ((form.properties ?? {}) as Record<string, JsonSchema>)[field]?.const;
    if (typeof tag !== "string") return undefined;
    tagged.push([tag, form]);
  }
  return { field, forms: tagged };
}

const ISSUE_TYPES: Record<string, string> = {
  required: "missing",
  enum: "enum",
  const: "literal_error",
  pattern: "string_pattern_mismatch",
  minLength: "string_too_short",
  maxLength: "string_too_long",
  minItems: "too_short",
  maxItems: "too_long",
  maxProperties: "too_long",
  minimum: "greater_than_equal",
  exclusiveMinimum: "greater_than",
  maximum: "less_than_equal",
  exclusiveMaximum: "less_than",
  format: "value_error",
  uniqueItems: "value_error",
  anyOf: "union_error",
  oneOf: "union_error",
};

/**
 * Ajv's errors as the API's issues. A value that matches none of a union's forms (`anyOf`, `oneOf`) is
 * one issue at the union ("must match one of: …", with what each form found wrong), not one per form.
 */
export function issuesOf(location: string, errors: ErrorObject[]): ValidationIssue[] {
  const isUnion = (error: ErrorObject) => error.keyword === "anyOf" || error.keyword === "oneOf";
  const within = (path: string, outer: string) => path === outer || path.startsWith(`${outer}/`);
  // Ajv reports a union after the errors of its forms, so among unions at one path the last is outermost.
  const outermostUnion = (index: number): number | undefined => {
    const path = errors[index]!.instancePath;
    let found: number | undefined;
    errors.forEach((candidate, at) => {
      if (at === index || !isUnion(candidate) || !within(path, candidate.instancePath)) return;
      if (isUnion(errors[index]!) && candidate.instancePath === path && at < index) return;
      const best = found === undefined ? undefined : errors[found]!;
      if (
        best === undefined ||
        candidate.instancePath.length < best.instancePath.length ||
        (candidate.instancePath.length === best.instancePath.length && at > found!)
      ) {
        found = at;
      }
    });
    return found;
  };
  const folded = new Map<number, string[]>();
  const kept: number[] = [];
  errors.forEach((error, index) => {
    const union = outermostUnion(index);
    if (union === undefined) {
      kept.push(index);
      return;
    }
    if (isUnion(error)) return;
    const relative = error.instancePath.slice(errors[union]!.instancePath.length).split("/").filter(Boolean);
    const message = `${relative.length > 0 ? `${relative.join(".")}: ` : ""}${describe(error)}`;
    const messages = folded.get(union) ?? [];
    if (!messages.includes(message)) messages.push(message);
    folded.set(union, messages);
  });
  return kept.map((index) => {
    const error = errors[index]!;
    const loc: (string | number)[] = [location];
    for (const segment of error.instancePath.split("/").slice(1)) {
      const text = segment.replace(/~1/g, "/").replace(/~0/g, "~");
      loc.push(/^\d+$/.test(text) ? Number(text) : text);
    }
    if (error.keyword === "required") loc.push((error.params as { missingProperty: string }).missingProperty);
    const propertyName = (error.params as { propertyName?: unknown }).propertyName;
    if (typeof propertyName === "string") loc.push(propertyName);
    const alternatives = folded.get(index);
    return {
      loc,
      msg: alternatives === undefined ? describe(error) : `must match one of: ${alternatives.join("; ")}`,
      type:
        error.keyword === "type"
          ? `${String(error.params.type)}_type`
          : (ISSUE_TYPES[error.keyword] ?? "value_error"),
    };
  });
}

function describe(error: ErrorObject): string {
  if (error.keyword === "required") return "Field required";
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return allowed.length <= 10
      ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`
      : "must be one of the allowed values";
  }
  if (error.keyword === "const")
    return `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  if (error.keyword === "pattern" && (error.params as { pattern: string }).pattern === "\\S")
    return "must not be blank";
  return error.message ?? "is invalid";
}

/** Converts a query parameter's text as its {@link QueryKind} says; text that does not convert stays text. */
function queryValue(kind: QueryKind, raw: unknown): unknown {
  const values = (Array.isArray(raw) ? raw : [raw]).map(String);
  if (kind === "array") return values;
  const text = values[values.length - 1] ?? "";
  if (kind === "integer" || kind === "number") {
    const pattern = kind === "integer" ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
    return pattern.test(text.trim()) ? Number(text) : text;
  }
  if (kind === "boolean") {
    const lower = text.trim().toLowerCase();
    if (["true", "1", "yes", "on", "t", "y"].includes(lower)) return true;
    if (["false", "0", "no", "off", "f", "n"].includes(lower)) return false;
    return text;
  }
  if (kind === "json") {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Checks requests against the spec's schemas for each implemented operation: path, query and body,
 * including `anyOf` with `_NotSet` and `null`, enums, string formats and the id pattern. The schemas are
 * generated into the code base (`api-schemas.generated.ts`) and compiled once, when this is built.
 */
export class ApiRequestValidator {
  private readonly operations = new Map<string, CompiledOperation>();

  constructor(document: ApiSchemaDocument = API_SCHEMAS) {
    const ajv = new Ajv2020({ strict: false, allErrors: true, useDefaults: true, discriminator: false });
    (addFormats as unknown as (instance: Ajv2020) => void)(ajv);
    const components: Record<string, JsonSchema> = { ...document.components };
    for (const [name, list] of Object.entries(document.enumLists))
      components[name] = { enum: list.split(" ") };
    ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas: components }, requests: document.requests });
    const at = (...pointer: string[]) =>
      ajv.compile({
        $ref: `${DOCUMENT_ID}#/${pointer.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`,
      });
    for (const [operationId, schemas] of Object.entries(document.requests)) {
      const tagged = schemas.body === null ? undefined : taggedForms(schemas.body.schema);
      this.operations.set(operationId, {
        schemas,
        params: at("requests", operationId, "params"),
        query: at("requests", operationId, "query"),
        body:
          schemas.body === null || tagged !== undefined
            ? undefined
            : at("requests", operationId, "body", "schema"),
        bodyTag:
          tagged === undefined
            ? undefined
            : {
                field: tagged.field,
                forms: new Map(
                  tagged.forms.map(([tag], index) => [
                    tag,
                    at("requests", operationId, "body", "schema", "oneOf", String(index)),
                  ]),
                ),
              },
      });
    }
  }

  /** The query parameters of `operationId` as its schema types them (repeats kept only for arrays). */
  private typedQuery(operation: CompiledOperation, query: Record<string, unknown>): Record<string, unknown> {
    const typed: Record<string, unknown> = {};
    for (const [name, kind] of Object.entries(operation.schemas.queryKinds)) {
      if (Object.hasOwn(query, name) && query[name] !== undefined)
        typed[name] = queryValue(kind, query[name]);
    }
    return typed;
  }

  private compiled(operationId: string): CompiledOperation {
    const operation = this.operations.get(operationId);
    if (operation === undefined) throw new Error(`operation ${operationId} has no request schemas`);
    return operation;
  }

  /**
   * The request of `operationId`, checked against the spec: a 422 listing every issue when it fails.
   * `Body` is the handler's type for the body the schema accepts (see `request-types.ts`).
   */
  validate<Body = Record<string, unknown>>(
    operationId: string,
    parts: RawRequestParts,
    options: { skipBody?: boolean } = {},
  ): ValidatedRequest<Body> {
    const operation = this.compiled(operationId);
    const issues: ValidationIssue[] = [];
    const params: Record<string, string> = { ...parts.params };
    if (!operation.params(params)) issues.push(...issuesOf("path", operation.params.errors ?? []));
    const query = this.typedQuery(operation, parts.query ?? {});
    if (!operation.query(query)) issues.push(...issuesOf("query", operation.query.errors ?? []));
    let body: unknown = parts.body;
    const bodySchema = options.skipBody === true ? null : operation.schemas.body;
    if (bodySchema !== null) {
      if (body === undefined && bodySchema.required) {
        issues.push({ loc: ["body"], msg: "Field required", type: "missing" });
      } else {
        // An optional body left out is an empty object; a `null` body is a body, and not an object.
        if (body === undefined) body = {};
        issues.push(...this.bodyIssues(operation, body));
      }
    }
    if (issues.length > 0) throw validationFailure(issues);
    return { params, query, body: body as Body };
  }

  /** A body read after the path and query were checked (a streamed multipart body), checked alone. */
  validateBody<Body>(operationId: string, body: unknown): Body {
    const operation = this.compiled(operationId);
    if (body === undefined)
      throw validationFailure([{ loc: ["body"], msg: "Field required", type: "missing" }]);
    const issues = this.bodyIssues(operation, body);
    if (issues.length > 0) throw validationFailure(issues);
    return body as Body;
  }

  private bodyIssues(operation: CompiledOperation, body: unknown): ValidationIssue[] {
    if (operation.bodyTag === undefined) {
      const validate = operation.body!;
      return validate(body) ? [] : issuesOf("body", validate.errors ?? []);
    }
    const { field, forms } = operation.bodyTag;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return [{ loc: ["body"], msg: "must be object", type: "object_type" }];
    }
    const tag = (body as Record<string, unknown>)[field];
    if (tag === undefined) return [{ loc: ["body", field], msg: "Field required", type: "missing" }];
    const validate = typeof tag === "string" ? forms.get(tag) : undefined;
    if (validate === undefined) {
      const allowed = [...forms.keys()].map((k) => JSON.stringify(k)).join(", ");
      return [{ loc: ["body", field], msg: `must be one of ${allowed}`, type: "union_tag_invalid" }];
    }
    return validate(body) ? [] : issuesOf("body", validate.errors ?? []);
  }

  /** Which body fields of `operationId` are lists (a multipart body repeats them). */
  listFields(operationId: string): Set<string> {
    const schema = this.compiled(operationId).schemas.body?.schema;
    const lists = new Set<string>();
    const forms = (schema?.oneOf as JsonSchema[] | undefined) ?? (schema === undefined ? [] : [schema]);
    for (const form of forms) {
      for (const [name, property] of Object.entries((form.properties ?? {}) as Record<string, JsonSchema>)) {
        if (property.type === "array") lists.add(name);
      }
    }
    return lists;
  }
}
