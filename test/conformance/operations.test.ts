/**
 * Every implemented operation of the spec, against a real server on SQLite: a valid request built from
 * the spec's schemas answers its documented success, and requests derived from it that break the schema
 * (a required field left out, a wrong type, a value outside an enum, a malformed id) answer 422 naming
 * the field. Every answer, errors included, is checked against the spec.
 */
import { describe, expect, it } from "vitest";
import { demoAgentVersionBody, demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import { API_SCHEMAS } from "../../src/http/api-spec/api-schemas.generated.js";
import { specAccepts, specSchema } from "../helpers/spec-validator.js";
import { type ApiCall, expectAnswer, expectInvalid } from "./api-call.js";
import { useConformanceServer } from "./conformance-server.js";

type JsonObject = Record<string, unknown>;

const api = useConformanceServer({ store: "sqlite", env: { PARLEY_INTERACTIONS_PER_MINUTE: "100000" } });
/** A call of `operationId` at its spec path, as the demo administrator. */
const callOf = api.call;

const json = async <T>(call: ApiCall, status: number) =>
  (await expectAnswer(api.t.baseUrl, call, status)).body as T;

async function newAgent(versionBody: JsonObject | null = demoAgentVersionBody): Promise<string> {
  const { id } = await json<{ id: string }>(
    callOf("create-agent", { json: { agent_name: `agent ${Math.random()}` } }),
    201,
  );
  if (versionBody !== null) {
    await json(callOf("create-agent-version", { params: { agent_id: id }, json: versionBody }), 201);
  }
  return id;
}

async function newGraph(withVersion = true): Promise<string> {
  const { id } = await json<{ id: string }>(
    callOf("create-service-hierarchical-state-machine", {
      json: { state_machine_name: `graph ${Math.random()}` },
    }),
    201,
  );
  if (withVersion) {
    await json(
      callOf("create-service-hierarchical-state-machine-version", {
        params: { service_hierarchical_state_machine_id: id },
        json: demoGraphVersionBody,
      }),
      201,
    );
  }
  return id;
}

async function newService(agentVersion: JsonObject | null = demoAgentVersionBody): Promise<string> {
  const { id } = await json<{ id: string }>(
    callOf("create-service", {
      json: {
        name: `service ${Math.random()}`,
        description: "A copy of the demo service",
        is_active: true,
        agent_id: await newAgent(agentVersion),
        service_hierarchical_state_machine_id: await newGraph(),
        keyterms: [],
        tags: { team: "conformance" },
      },
    }),
    201,
  );
  return id;
}

/** A new user of the default user role, and a token for them. */
async function newUser(): Promise<{ userId: string; userToken: string }> {
  const { user_id: userId } = await json<{ user_id: string }>(
    callOf("create-invited-user", {
      json: {
        first_name: "Robin",
        last_name: "Doe",
        email: `robin.${Math.random().toString(36).slice(2)}@example.com`,
        role_name: "DefaultUserRole",
      },
    }),
    201,
  );
  return { userId, userToken: await api.t.token(userId) };
}

/** A conversation of a new service with one completed interaction after the greeting. */
async function newConversation(): Promise<{
  conversationId: string;
  interactionId: string;
  serviceId: string;
}> {
  const serviceId = await newService();
  const created = await expectAnswer(
    api.t.baseUrl,
    callOf("create-conversation", { query: { response_format: "text" }, json: { service_id: serviceId } }),
    201,
  );
  const conversationId = created.events[0]!.conversation_id as string;
  const interacted = await expectAnswer(
    api.t.baseUrl,
    callOf("interact-with-conversation", {
      params: { conversation_id: conversationId },
      query: { request_format: "text", response_format: "text" },
      form: { initial_message_type: "user-message", recorded_message: "I have a sore throat" },
    }),
    200,
  );
  const interactionId = interacted.events.find((e) => e.type === "interaction-complete")!
    .interaction_id as string;
  return { conversationId, interactionId, serviceId };
}

/** A valid request of each implemented operation and the status the spec documents for it. */
const validRequests: Record<string, () => Promise<{ call: ApiCall; status: number }>> = {
  "get-organization": async () => ({ call: callOf("get-organization", { token: undefined }), status: 200 }),
  "sign-in-with-api-key": async () => ({
    call: callOf("sign-in-with-api-key", {
      token: undefined,
      headers: { "x-api-key": api.t.apiKey, "x-api-key-id": api.t.apiKeyId, "x-user-id": api.t.userId },
    }),
    status: 200,
  }),
  "create-invited-user": async () => ({
    call: callOf("create-invited-user", {
      json: {
        first_name: "Sam",
        last_name: "Lee",
        email: `sam.${Math.random().toString(36).slice(2)}@example.com`,
        role_name: "DefaultUserRole",
        user_preferences: { preferred_language: "eng", timezone: "Europe/Paris" },
      },
    }),
    status: 201,
  }),
  "get-users": async () => ({ call: callOf("get-users", { query: { limit: "10" } }), status: 200 }),
  "update-user-info": async () => ({
    call: callOf("update-user-info", {
      params: { requested_user_id: (await newUser()).userId },
      json: { first_name: "Alex", last_name: null, preferred_language: "fra", timezone: {} },
    }),
    status: 204,
  }),
  "delete-user": async () => ({
    call: callOf("delete-user", { params: { requested_user_id: (await newUser()).userId } }),
    status: 204,
  }),
  "get-user-model": async () => ({
    call: callOf("get-user-model", { params: { user_id: api.t.userId } }),
    status: 200,
  }),
  "create-api-key": async () => ({
    call: callOf("create-api-key", {
      json: { name: "conformance", duration: "P7D", role_name: "DefaultUserRole" },
    }),
    status: 201,
  }),
  "get-api-keys": async () => ({ call: callOf("get-api-keys"), status: 200 }),
  "delete-api-key": async () => {
    const key = await json<{ api_key_id: string }>(
      callOf("create-api-key", { json: { name: null, duration: "PT24H", role_name: "DefaultUserRole" } }),
      201,
    );
    return { call: callOf("delete-api-key", { params: { api_key_id: key.api_key_id } }), status: 200 };
  },
  "create-agent": async () => ({ call: callOf("create-agent", { json: { agent_name: "Bo" } }), status: 201 }),
  "get-agents": async () => ({ call: callOf("get-agents", { query: { limit: "5" } }), status: 200 }),
  "create-agent-version": async () => ({
    call: callOf("create-agent-version", {
      params: { agent_id: await newAgent(null) },
      query: { version: "1" },
      json: demoAgentVersionBody,
    }),
    status: 201,
  }),
  "delete-agent": async () => ({
    call: callOf("delete-agent", { params: { agent_id: await newAgent() } }),
    status: 200,
  }),
  "get-agent-versions": async () => ({
    call: callOf("get-agent-versions", {
      params: { agent_id: await newAgent() },
      query: { version: "latest" },
    }),
    status: 200,
  }),
  "create-service-hierarchical-state-machine": async () => ({
    call: callOf("create-service-hierarchical-state-machine", { json: { state_machine_name: "flow" } }),
    status: 201,
  }),
  "get-service-hierarchical-state-machines": async () => ({
    call: callOf("get-service-hierarchical-state-machines"),
    status: 200,
  }),
  "create-service-hierarchical-state-machine-version": async () => ({
    call: callOf("create-service-hierarchical-state-machine-version", {
      params: { service_hierarchical_state_machine_id: await newGraph(false) },
      query: { dry_run: "false" },
      json: demoGraphVersionBody,
    }),
    status: 201,
  }),
  "delete-service-hierarchical-state-machine": async () => ({
    call: callOf("delete-service-hierarchical-state-machine", {
      params: { state_machine_id: await newGraph() },
    }),
    status: 200,
  }),
  "get-service-hierarchical-state-machine-versions": async () => ({
    call: callOf("get-service-hierarchical-state-machine-versions", {
      params: { service_hierarchical_state_machine_id: await newGraph() },
    }),
    status: 200,
  }),
  "get-services": async () => ({
    call: callOf("get-services", { query: { id: [api.t.serviceId], is_active: "true" } }),
    status: 200,
  }),
  "create-service": async () => ({
    call: callOf("create-service", {
      json: {
        name: "Front desk",
        description: "Answers the front desk's phone",
        is_active: false,
        agent_id: await newAgent(),
        service_hierarchical_state_machine_id: await newGraph(),
        release_version_set: {
          agent_version_number: 1,
          service_hierarchical_state_machine_version_number: null,
          llm_model_preferences: {},
        },
        keyterms: [],
        tags: { floor: "2", wing: null },
      },
    }),
    status: 201,
  }),
  "update-service": async () => ({
    call: callOf("update-service", {
      params: { service_id: await newService() },
      json: { name: `Renamed ${Math.random()}`, description: null, tags: { floor: "3" } },
    }),
    status: 200,
  }),
  "upsert-service-version-set": async () => ({
    call: callOf("upsert-service-version-set", {
      params: { service_id: await newService(), version_set_name: "pinned-1" },
      json: {
        version_set: {
          agent_version_number: 1,
          service_hierarchical_state_machine_version_number: 1,
          llm_model_preferences: {},
        },
      },
    }),
    status: 204,
  }),
  "create-conversation": async () => ({
    call: callOf("create-conversation", {
      query: { response_format: "text", current_agent_action_type: "^.*$" },
      json: {
        service_id: await newService(),
        service_version_set_name: "release",
        initial_message: null,
        tags: { channel: "web", campaign: null },
      },
    }),
    status: 201,
  }),
  "get-conversations": async () => ({
    call: callOf("get-conversations", {
      query: { is_finished: "false", limit: "20", sort_by: ["-created_at"] },
    }),
    status: 200,
  }),
  "get-conversation-messages": async () => ({
    call: callOf("get-conversation-messages", {
      params: { conversation_id: (await newConversation()).conversationId },
      query: { message_type: ["agent-message", "user-message"] },
    }),
    status: 200,
  }),
  "finish-conversation": async () => ({
    call: callOf("finish-conversation", {
      params: { conversation_id: (await newConversation()).conversationId },
    }),
    status: 204,
  }),
  "recommend-responses-for-interaction": async () => {
    const { conversationId, interactionId } = await newConversation();
    return {
      call: callOf("recommend-responses-for-interaction", {
        params: { conversation_id: conversationId, interaction_id: interactionId },
        json: { context: "A patient calling the clinic" },
      }),
      status: 200,
    };
  },
  "get-interaction-insights": async () => {
    const { conversationId, interactionId } = await newConversation();
    return {
      call: callOf("get-interaction-insights", {
        params: { conversation_id: conversationId, interaction_id: interactionId },
      }),
      status: 200,
    };
  },
  "interact-with-conversation": async () => {
    const { conversationId } = await newConversation();
    return {
      call: callOf("interact-with-conversation", {
        params: { conversation_id: conversationId },
        query: { request_format: "text", response_format: "text" },
        form: {
          initial_message_type: "user-message",
          recorded_message: "Tomorrow at ten works",
          external_event_message_content: ["The caller's file was opened"],
          external_event_message_timestamp: [new Date().toISOString()],
        },
      }),
      status: 200,
    };
  },
  "retrieve-message-source": async () => {
    // A text message's source is the spec's 400 (a voice message's 200 is in test/e2e/voice.test.ts).
    const { conversationId } = await newConversation();
    const messages = await json<{ messages: { id: string }[] }>(
      callOf("get-conversation-messages", { params: { conversation_id: conversationId } }),
      200,
    );
    return {
      call: callOf("retrieve-message-source", {
        params: { conversation_id: conversationId, message_id: messages.messages[0]!.id },
      }),
      status: 400,
    };
  },
  "generate-conversation-starter": async () => ({
    call: callOf("generate-conversation-starter", {
      json: {
        service_id: api.t.serviceId,
        facets: ["appointments"],
        min_count: 1,
        max_count: 2,
        generation_instructions: "Short questions a patient asks",
      },
    }),
    status: 200,
  }),
  "modify-tags-of-conversation": async () => ({
    call: callOf("modify-tags-of-conversation", {
      params: { conversation_id: (await newConversation()).conversationId },
      json: { updates: { priority: "high", note: null }, deletes: ["channel"] },
    }),
    status: 204,
  }),
};

const implemented = API_SCHEMAS.operations.filter((o) => o.implemented).map((o) => o.operationId);

it("has a valid request for every implemented operation", () => {
  expect(Object.keys(validRequests).sort()).toEqual([...implemented].sort());
});

it("creates an API key without role_name, under the spec's default DefaultAdministratorRole", async () => {
  const created = await json<{ api_key_id: string; api_key: string }>(
    callOf("create-api-key", { json: { name: "default role", duration: "P1D" } }),
    201,
  );
  const keys = await json<{ api_keys: { key_id: string; role_id: string }[] }>(callOf("get-api-keys"), 200);
  const roleId = keys.api_keys.find((key) => key.key_id === created.api_key_id)?.role_id;
  // A stored role's id, not the name the key would fall back to when the role were missing.
  expect(roleId).toMatch(/^[0-9a-f]{24}$/);
  const { userId } = await newUser();
  await expectAnswer(
    api.t.baseUrl,
    callOf("sign-in-with-api-key", {
      token: undefined,
      headers: { "x-api-key": created.api_key, "x-api-key-id": created.api_key_id, "x-user-id": userId },
    }),
    200,
  );
});

describe.each(implemented)("%s", (operationId) => {
  const schemas = API_SCHEMAS.requests[operationId]!;

  it("answers a valid request with its documented status and body", async () => {
    const { call, status } = await validRequests[operationId]!();
    await expectAnswer(api.t.baseUrl, call, status);
  });

  const idParams = Object.entries((schemas.params.properties ?? {}) as Record<string, JsonObject>).filter(
    ([, schema]) => typeof schema.pattern === "string",
  );
  if (idParams.length > 0)
    it("answers 422 for a malformed id in the path", async () => {
      const { call } = await validRequests[operationId]!();
      for (const [name] of idParams) {
        for (const bad of ["not-an-id", "0123456789ABCDEF01234567", "0".repeat(25)]) {
          await expectInvalid(
            api.t.baseUrl,
            { ...call, params: { ...call.params, [name]: bad } },
            `path.${name}`,
          );
        }
      }
    });

  const requiredQuery = ((schemas.query.required ?? []) as string[]).filter((n) => n !== "request_format");
  const enumQuery = Object.entries((schemas.query.properties ?? {}) as Record<string, JsonObject>).filter(
    ([, schema]) => Array.isArray(schema.enum),
  );
  if (requiredQuery.length + enumQuery.length > 0)
    it("answers 422 for a required query parameter left out or outside its enum", async () => {
      const { call } = await validRequests[operationId]!();
      for (const name of requiredQuery) {
        const { [name]: _left, ...query } = call.query ?? {};
        await expectInvalid(api.t.baseUrl, { ...call, query }, `query.${name}`);
      }
      for (const [name] of enumQuery) {
        await expectInvalid(
          api.t.baseUrl,
          { ...call, query: { ...call.query, [name]: "audio" } },
          `query.${name}`,
        );
      }
    });

  const body = schemas.body;
  const bodyRef =
    body?.contentType === "application/json" ? (body.schema.$ref as string | undefined) : undefined;
  if (bodyRef !== undefined)
    it("answers 422 for a JSON body with a required field left out, a wrong type, or not an object", async () => {
      const { call } = await validRequests[operationId]!();
      const valid = call.json as JsonObject;
      const component = bodyRef.replace("#/components/schemas/", "");
      const pointer = `#/components/schemas/${component.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const required = ((specSchema(pointer).required ?? []) as string[]).filter((field) =>
        Object.hasOwn(valid, field),
      );
      for (const field of required) {
        const { [field]: _left, ...rest } = valid;
        await expectInvalid(api.t.baseUrl, { ...call, json: rest }, `body.${field}`);
      }
      // A value of a type the property's schema does not take, for each field of the valid body.
      for (const field of Object.keys(valid)) {
        const wrong = [42, "text", true, ["a"], { nested: 1 }, -1.5].find(
          (candidate) => !specAccepts(`${pointer}/properties/${field}`, candidate),
        );
        if (wrong === undefined) continue;
        await expectInvalid(api.t.baseUrl, { ...call, json: { ...valid, [field]: wrong } }, `body.${field}`);
      }
      for (const notAnObject of [null, "text", 7, [valid]]) {
        await expectInvalid(api.t.baseUrl, { ...call, json: notAnObject }, "body");
      }
    });

  if (bodyRef !== undefined)
    it("accepts null, and {} (_NotSet), wherever the schema allows them", async () => {
      const component = bodyRef.replace("#/components/schemas/", "");
      const pointer = `#/components/schemas/${component.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const fields = Object.keys(specSchema(pointer).properties ?? {});
      for (const [value, label] of [
        [null, "null"],
        [{}, "_NotSet"],
      ] as const) {
        const takers = fields.filter((field) => specAccepts(`${pointer}/properties/${field}`, value));
        if (takers.length === 0) continue;
        const { call, status } = await validRequests[operationId]!();
        const json = { ...(call.json as JsonObject), ...Object.fromEntries(takers.map((f) => [f, value])) };
        // A first agent version must define its fields: all of them null is the spec's 400.
        const expected = operationId === "create-agent-version" && value === null ? 400 : status;
        const answer = await expectAnswer(api.t.baseUrl, { ...call, json }, expected);
        expect(answer.status, `${label}: ${takers.join(", ")}`).toBe(expected);
      }
    });
});
