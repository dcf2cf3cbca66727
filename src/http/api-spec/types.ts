/** A JSON Schema (2020-12) as the spec writes it: a plain JSON object. */
export type JsonSchema = { [keyword: string]: unknown };

/**
 * How a query parameter's text becomes the value its schema checks: `array` collects every repeat,
 * `integer`/`number`/`boolean` convert the text when it reads as one, `json` parses it (an object
 * parameter such as `request_audio_config`), `string` keeps the last value.
 */
export type QueryKind = "array" | "integer" | "number" | "boolean" | "json" | "string";

/** One operation of the spec, as the server and its documentation list them. */
export interface ApiOperation {
  operationId: string;
  method: "get" | "post" | "put" | "delete" | "patch";
  /** The spec's path, with `{name}` parameters. */
  path: string;
  summary: string;
  /** The per-user requests per minute its 429 response documents; null when it documents none. */
  rateLimitPerMinute: number | null;
  /** The statuses its `responses` document. */
  statuses: number[];
  /** Whether Parley serves it (the others answer 501). */
  implemented: boolean;
}

/** What the spec says of an implemented operation's request. */
export interface ApiRequestSchemas {
  /** Path parameters as one object schema. */
  params: JsonSchema;
  /** Query parameters as one object schema (unknown parameters are ignored, as the API does). */
  query: JsonSchema;
  queryKinds: Record<string, QueryKind>;
  /** The body by content type (`application/json`, `multipart/form-data`), when it has one. */
  body: { contentType: string; required: boolean; schema: JsonSchema } | null;
}

/** The generated file's content: every operation, and the request schemas of the implemented ones. */
export interface ApiSchemaDocument {
  operations: ApiOperation[];
  requests: Record<string, ApiRequestSchemas>;
  /** The spec's component schemas the request schemas reference (`#/components/schemas/…`). */
  components: Record<string, JsonSchema>;
  /**
   * Long enums (languages, time zones), space-separated, each the component schema `{ enum: [...] }`
   * of its name: the schemas reference them as `#/components/schemas/<name>`.
   */
  enumLists: Record<string, string>;
}
