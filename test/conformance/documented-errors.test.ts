/**
 * The documented error paths that only a crafted request reaches, and each defect issue 13 names, on a
 * real server (SQLite, real engines). Every answer is checked against the spec (statuses, bodies).
 */
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { demoAgentVersionBody, demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import { TokenService } from "../../src/http/tokens.js";
import { expectErrorBody } from "../helpers/spec-validator.js";
import { type ApiCall, expectAnswer, expectInvalid, send } from "./api-call.js";
import { useConformanceServer } from "./conformance-server.js";
import { startTestServer } from "../helpers/server.js";

const JWT_SECRET = crypto.randomBytes(24).toString("base64url");
const MAX_TEXT_BODY_BYTES = 65_536;

const api = useConformanceServer({
  store: "sqlite",
  env: {
    PARLEY_JWT_SECRET: JWT_SECRET,
    PARLEY_MAX_TEXT_BODY_BYTES: String(MAX_TEXT_BODY_BYTES),
    PARLEY_INTERACTIONS_PER_MINUTE: "100000",
  },
});

async function createConversation(serviceId = api.t.serviceId): Promise<string> {
  const created = await expectAnswer(
    api.t.baseUrl,
    api.call("create-conversation", {
      query: { response_format: "text" },
      json: { service_id: serviceId },
    }),
    201,
  );
  return created.events[0]!.conversation_id as string;
}

async function finish(conversationId: string): Promise<void> {
  await send(
    api.t.baseUrl,
    api.call("finish-conversation", {
      params: { conversation_id: conversationId },
    }),
  );
}

const interactCall = (conversationId: string, fields: Partial<ApiCall> = {}): ApiCall =>
  api.call("interact-with-conversation", {
    params: { conversation_id: conversationId },
    query: { request_format: "text", response_format: "text" },
    ...fields,
  });

const createCall = (fields: Partial<ApiCall> = {}): ApiCall =>
  api.call("create-conversation", {
    query: { response_format: "text" },
    ...fields,
  });

const updateUserCall = (json: unknown, userId = api.t.userId): ApiCall =>
  api.call("update-user-info", {
    params: { requested_user_id: userId },
    json,
  });

const tagsCall = (conversationId: string, json: unknown): ApiCall =>
  api.call("modify-tags-of-conversation", {
    params: { conversation_id: conversationId },
    json,
  });

describe("updating a user follows _NotSet and null", () => {
  it("leaves a field sent as an empty object (_NotSet) unchanged", async () => {
    await expectAnswer(
      api.t.baseUrl,
      updateUserCall({ first_name: "A", preferred_language: {}, timezone: {} }),
      204,
    );
    const after = await api.ownProfile();
    expect(after).toMatchObject({ first_name: "A", preferred_language: "eng", timezone: "UTC" });
  });

  it("erases a field sent as null, and sets one sent as a value", async () => {
    await expectAnswer(
      api.t.baseUrl,
      updateUserCall({ preferred_language: null, timezone: "Europe/Oslo" }),
      204,
    );
    expect(await api.ownProfile()).toMatchObject({ preferred_language: null, timezone: "Europe/Oslo" });
    await expectAnswer(api.t.baseUrl, updateUserCall({ preferred_language: "eng", timezone: "UTC" }), 204);
    expect(await api.ownProfile()).toMatchObject({ preferred_language: "eng", timezone: "UTC" });
  });

  it("refuses values outside the language and time zone enums, and bodies that are not objects", async () => {
    await expectInvalid(
      api.t.baseUrl,
      updateUserCall({ preferred_language: "english" }),
      "body.preferred_language",
    );
    await expectInvalid(api.t.baseUrl, updateUserCall({ timezone: "Mars/Olympus" }), "body.timezone");
    await expectInvalid(api.t.baseUrl, updateUserCall({ first_name: "   " }), "body.first_name");
    for (const body of [null, "Alex", 42, [{ first_name: "A" }]]) {
      await expectInvalid(api.t.baseUrl, updateUserCall(body), "body");
    }
    expect((await api.ownProfile()).first_name).toBe("A");
  });
});

describe("conversation creation", () => {
  it("answers 400 (not 409) for a second unfinished conversation with the same service", async () => {
    const first = await createConversation();
    const second = await expectAnswer(
      api.t.baseUrl,
      createCall({ json: { service_id: api.t.serviceId } }),
      400,
    );
    expect(JSON.stringify(second.body)).toContain("unfinished");
    await finish(first);
  });

  it("answers 422 with the validation body for an empty, invalid or wrongly typed JSON body", async () => {
    for (const body of ["", "{", '{"service_id": "a",}']) {
      await expectInvalid(
        api.t.baseUrl,
        createCall({ raw: { contentType: "application/json", body } }),
        "body",
      );
    }
    // A wrong content type: the body is not JSON, so the required body is missing.
    await expectInvalid(
      api.t.baseUrl,
      createCall({
        raw: { contentType: "text/plain", body: JSON.stringify({ service_id: api.t.serviceId }) },
      }),
      "body",
    );
  });

  it("answers 413 for a JSON body over the size limit", async () => {
    const answer = await send(
      api.t.baseUrl,
      createCall({
        json: { service_id: api.t.serviceId, initial_message: "word ".repeat(MAX_TEXT_BODY_BYTES) },
      }),
    );
    expect(answer.status).toBe(413);
  });

  it("refuses tag values over 100 characters, more than 20 tags and keys outside the pattern", async () => {
    const tags = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "v"]));
    await expectInvalid(
      api.t.baseUrl,
      createCall({ json: { service_id: api.t.serviceId, tags: { note: "x".repeat(101) } } }),
      "body.tags.note",
    );
    await expectInvalid(
      api.t.baseUrl,
      createCall({ json: { service_id: api.t.serviceId, tags: tags(21) } }),
      "body.tags",
    );
    await expectInvalid(
      api.t.baseUrl,
      createCall({ json: { service_id: api.t.serviceId, tags: { "a-b": "v" } } }),
      "body.tags",
    );
    await expectInvalid(
      api.t.baseUrl,
      createCall({
        json: { service_id: api.t.serviceId, initial_message_type: "agent-message", initial_message: "Hi" },
      }),
      "body.initial_message_type",
    );
  });
});

describe("conversation tags", () => {
  it("refuses bodies that are not objects, over 20 updates and over 20 tags after the change", async () => {
    const conversationId = await createConversation();
    for (const body of [null, "tags", 12, ["a"]])
      await expectInvalid(api.t.baseUrl, tagsCall(conversationId, body), "body");
    await expectInvalid(api.t.baseUrl, tagsCall(conversationId, { updates: { a: 1 } }), "body.updates.a");
    const tags = (from: number, count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${from + i}`, "v"]));
    await expectInvalid(api.t.baseUrl, tagsCall(conversationId, { updates: tags(0, 21) }), "body.updates");
    await expectAnswer(api.t.baseUrl, tagsCall(conversationId, { updates: tags(0, 15) }), 204);
    // The spec's 400: "the conversation cannot contain more than 20 tags".
    await expectAnswer(api.t.baseUrl, tagsCall(conversationId, { updates: tags(15, 6) }), 400);
    await expectAnswer(
      api.t.baseUrl,
      tagsCall(conversationId, { updates: tags(15, 5), deletes: ["k0"] }),
      204,
    );
    await finish(conversationId);
  });
});

describe("interactions", () => {
  const voiceCall = (conversationId: string, query: Record<string, string>, fields: Partial<ApiCall> = {}) =>
    interactCall(conversationId, {
      query: { request_format: "voice", response_format: "text", ...query },
      ...fields,
    });

  it("refuses an out-of-range request_audio_config and n_channels 2 with 422", async () => {
    const conversationId = await createConversation();
    const pcm = { contentType: "audio/l16", body: new Uint8Array(3200) };
    for (const config of [
      { type: "pcm", frame_rate: 16000, n_channels: 2, sample_width: 2 },
      { type: "pcm", frame_rate: 96000, n_channels: 1, sample_width: 2 },
      { type: "pcm", frame_rate: 16000, n_channels: 1, sample_width: 3 },
      { type: "pcm", frame_rate: 16000 },
      { type: "ogg" },
    ]) {
      await expectInvalid(
        api.t.baseUrl,
        voiceCall(conversationId, { request_audio_config: JSON.stringify(config) }, { raw: pcm }),
        "query.request_audio_config",
      );
    }
    await expectInvalid(
      api.t.baseUrl,
      voiceCall(conversationId, { request_audio_config: "{not json" }, { raw: pcm }),
      "query.request_audio_config",
    );
    await finish(conversationId);
  });

  it("answers 422 for a voice multipart without its audio part, and for a malformed multipart", async () => {
    const conversationId = await createConversation();
    await expectInvalid(
      api.t.baseUrl,
      voiceCall(conversationId, {}, { form: { initial_message_type: "user-message" } }),
      "body.recorded_message",
    );
    const broken = '--XYZ\r\nContent-Disposition: form-data; name="recorded_message"\r\n\r\nhello';
    for (const call of [
      voiceCall(
        conversationId,
        {},
        { raw: { contentType: "multipart/form-data; boundary=XYZ", body: broken } },
      ),
      interactCall(conversationId, {
        raw: { contentType: "multipart/form-data; boundary=XYZ", body: broken },
      }),
      interactCall(conversationId, { raw: { contentType: "multipart/form-data", body: "no boundary" } }),
    ]) {
      await expectInvalid(api.t.baseUrl, call, "body");
    }
    await finish(conversationId);
  });

  it("refuses random bytes labelled audio/mpeg with 415 and stores nothing", async () => {
    const conversationId = await createConversation();
    const noise = crypto.randomBytes(64 * 1024);
    await expectAnswer(
      api.t.baseUrl,
      voiceCall(conversationId, {}, { raw: { contentType: "audio/mpeg", body: noise } }),
      415,
    );
    const messages = await send(
      api.t.baseUrl,
      api.call("get-conversation-messages", {
        params: { conversation_id: conversationId },
      }),
    );
    expect((messages.body as { messages: unknown[] }).messages).toHaveLength(1);
    await finish(conversationId);
  });

  it("checks the text form against the spec: the type's form, empty fields, external events", async () => {
    const conversationId = await createConversation();
    const form = (fields: Record<string, string | string[]>) =>
      interactCall(conversationId, { form: fields });
    await expectInvalid(api.t.baseUrl, form({ recorded_message: "hello" }), "body.initial_message_type");
    await expectInvalid(
      api.t.baseUrl,
      form({ initial_message_type: "agent", recorded_message: "hi" }),
      "body.initial_message_type",
    );
    await expectInvalid(
      api.t.baseUrl,
      form({ initial_message_type: "user-message" }),
      "body.recorded_message",
    );
    await expectInvalid(
      api.t.baseUrl,
      form({ initial_message_type: "user-message", recorded_message: "" }),
      "body.recorded_message",
    );
    await expectInvalid(
      api.t.baseUrl,
      form({ initial_message_type: "skip", recorded_message: "hi" }),
      "body.recorded_message",
    );
    await expectInvalid(
      api.t.baseUrl,
      form({
        initial_message_type: "user-message",
        recorded_message: "hi",
        external_event_message_content: ["x"],
        external_event_message_timestamp: ["yesterday"],
      }),
      "body.external_event_message_timestamp",
    );
    // The spec's 400 for a message of spaces, and for an external event in the future.
    await expectAnswer(
      api.t.baseUrl,
      form({ initial_message_type: "user-message", recorded_message: "   " }),
      400,
    );
    await expectAnswer(
      api.t.baseUrl,
      form({
        initial_message_type: "user-message",
        recorded_message: "hi",
        external_event_message_content: ["x"],
        external_event_message_timestamp: [new Date(Date.now() + 3_600_000).toISOString()],
      }),
      400,
    );
    await finish(conversationId);
  });
});

describe("voice replies need the agent's voice_config", () => {
  it("answers 400 to response_format=voice for an agent without voice_config", async () => {
    const agentId = await api.createdId(api.call("create-agent", { json: { agent_name: "Mute" } }));
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-agent-version", {
        params: { agent_id: agentId },
        json: { ...demoAgentVersionBody, voice_config: null },
      }),
      201,
    );
    const graphId = await api.createdId(
      api.call("create-service-hierarchical-state-machine", {
        json: { state_machine_name: "mute_flow" },
      }),
    );
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-service-hierarchical-state-machine-version", {
        params: { service_hierarchical_state_machine_id: graphId },
        json: demoGraphVersionBody,
      }),
      201,
    );
    const serviceId = await api.createdId(
      api.call("create-service", {
        json: {
          name: "Mute desk",
          description: "An agent without a voice",
          is_active: true,
          agent_id: agentId,
          service_hierarchical_state_machine_id: graphId,
          keyterms: [],
          tags: {},
        },
      }),
    );
    const refused = await expectAnswer(
      api.t.baseUrl,
      createCall({ query: { response_format: "voice" }, json: { service_id: serviceId } }),
      400,
    );
    expect(JSON.stringify(refused.body)).toContain("voice_config");
    const conversationId = await createConversation(serviceId);
    await expectAnswer(
      api.t.baseUrl,
      interactCall(conversationId, {
        query: { request_format: "text", response_format: "voice" },
        form: { initial_message_type: "user-message", recorded_message: "hello" },
      }),
      400,
    );
    await finish(conversationId);
  });
});

describe("credentials", () => {
  const claims = () => ({ organizationId: api.t.orgId, userId: api.t.userId });
  const listCall = (bearer: string): ApiCall =>
    api.call("get-conversations", {
      token: bearer,
    });

  it("answers 401 for an expired token and for a token signed with another secret", async () => {
    const expired = await new TokenService(JWT_SECRET, 60).issue(claims(), new Date(Date.now() - 3_600_000));
    await expectAnswer(api.t.baseUrl, listCall(expired.token), 401);
    const foreign = await new TokenService("another secret", 3600).issue(claims());
    await expectAnswer(api.t.baseUrl, listCall(foreign.token), 401);
    const fresh = await new TokenService(JWT_SECRET, 3600).issue(claims());
    await expectAnswer(api.t.baseUrl, listCall(fresh.token), 200);
  });
});

describe("routes outside the implemented operations", () => {
  it("answers unknown routes 404 and over-long path parameters with the API's error body", async () => {
    // A path parameter past the router's 10,000 characters, or that does not decode: the spec's 422.
    for (const path of [`/v1/${"o".repeat(12_000)}/conversation/`, "/v1/%E0%A4%A/conversation/"]) {
      const response = await fetch(`${api.t.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${api.token}` },
      });
      expect(response.status, path.slice(0, 40)).toBe(422);
      expectErrorBody(422, await response.json());
    }
    for (const path of ["/v1/nowhere", "/v2/x/conversation/", "/v1/x/conversation/a/b/c/d"]) {
      const response = await fetch(`${api.t.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${api.token}` },
      });
      expect(response.status, path.slice(0, 40)).toBe(404);
      expect(await response.json()).toEqual({ detail: "Not Found" });
    }
    const longId = await send(
      api.t.baseUrl,
      api.call("get-conversation-messages", {
        params: { conversation_id: "a".repeat(9000) },
      }),
    );
    expect(longId.status).toBe(422);
  });

  it("answers the spec's operations Parley does not implement with 501 and names them", async () => {
    const response = await fetch(`${api.t.baseUrl}/v1/${api.t.orgId}/metric/`, {
      headers: { authorization: `Bearer ${api.token}` },
    });
    expect(response.status).toBe(501);
    const body = (await response.json()) as { detail: string };
    expect(body.detail).toContain("get-metrics");
    const signin = await fetch(`${api.t.baseUrl}/v1/${api.t.orgId}/user/signin`, { method: "POST" });
    expect(signin.status).toBe(501);
  });
});

describe("maintenance", () => {
  it("answers 503 on interact, create and finish while in maintenance", async () => {
    const maintenance = await startTestServer({ store: "sqlite", env: { PARLEY_MAINTENANCE_MODE: "true" } });
    try {
      const bearer = await maintenance.token();
      const params = { organization: maintenance.orgId, conversation_id: "0123456789abcdef01234567" };
      await expectAnswer(
        maintenance.baseUrl,
        interactCall(params.conversation_id, {
          params,
          token: bearer,
          form: { initial_message_type: "user-message", recorded_message: "hello" },
        }),
        503,
      );
      await expectAnswer(
        maintenance.baseUrl,
        createCall({
          params: { organization: maintenance.orgId },
          token: bearer,
          json: { service_id: maintenance.serviceId },
        }),
        503,
      );
    } finally {
      await maintenance.close();
    }
  });
});
