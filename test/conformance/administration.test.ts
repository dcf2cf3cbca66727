/**
 * The administration operations' documented statuses beyond validation (names in use, versions a
 * service lacks, unknown voices, version filters), on a real server (SQLite). Every answer is checked
 * against the spec.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoAgentVersionBody, demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { type ApiCall, expectAnswer, expectInvalid } from "./api-call.js";

let t: TestServer;
let token: string;

beforeAll(async () => {
  t = await startTestServer({ store: "sqlite" });
  token = await t.token();
});
afterAll(async () => t.close());

const org = () => ({ organization: t.orgId });

describe("agent version lists", () => {
  it("filter by a version number, latest, or a range, and refuse any other filter", async () => {
    const post = (operationId: string, path: string, fields: Partial<ApiCall>): ApiCall => ({
      operationId,
      method: "POST",
      path,
      params: org(),
      token,
      ...fields,
    });
    const agent = await expectAnswer(
      t.baseUrl,
      post("create-agent", "/v1/{organization}/organization/agent", { json: { agent_name: "Versions" } }),
      201,
    );
    const agentId = (agent.body as { id: string }).id;
    for (const background of ["First.", "Second.", "Third."]) {
      await expectAnswer(
        t.baseUrl,
        post("create-agent-version", "/v1/{organization}/organization/agent/{agent_id}/", {
          params: { ...org(), agent_id: agentId },
          json: { ...demoAgentVersionBody, background },
        }),
        201,
      );
    }
    const versions = async (version: string) => {
      const answer = await expectAnswer(
        t.baseUrl,
        {
          operationId: "get-agent-versions",
          method: "GET",
          path: "/v1/{organization}/organization/agent/{agent_id}/version",
          params: { ...org(), agent_id: agentId },
          query: { version },
          token,
        },
        200,
      );
      return (answer.body as { agent_versions: { version: number; background: string }[] }).agent_versions;
    };
    expect((await versions("latest")).map((v) => [v.version, v.background])).toEqual([[3, "Third."]]);
    expect((await versions("2")).map((v) => v.version)).toEqual([2]);
    expect((await versions("1-2")).map((v) => v.version).sort()).toEqual([1, 2]);
    expect(await versions("9")).toEqual([]);
    await expectInvalid(
      t.baseUrl,
      {
        operationId: "get-agent-versions",
        method: "GET",
        path: "/v1/{organization}/organization/agent/{agent_id}/version",
        params: { ...org(), agent_id: agentId },
        query: { version: "newest" },
        token,
      },
      "query.version",
    );
  });
});

describe("administration statuses as the spec documents them", () => {
  const post = (operationId: string, path: string, fields: Partial<ApiCall>): ApiCall => ({
    operationId,
    method: "POST",
    path,
    params: org(),
    token,
    ...fields,
  });
  const AGENTS = "/v1/{organization}/organization/agent";
  const AGENT = "/v1/{organization}/organization/agent/{agent_id}/";
  const GRAPHS = "/v1/{organization}/organization/service_hierarchical_state_machine";
  const GRAPH =
    "/v1/{organization}/organization/service_hierarchical_state_machine/{service_hierarchical_state_machine_id}/";
  const idOf = (answer: { body: unknown }) => (answer.body as { id: string }).id;

  it("409 for a second agent or context graph of one name; 400 for an unknown voice", async () => {
    await expectAnswer(t.baseUrl, post("create-agent", AGENTS, { json: { agent_name: "Twin" } }), 201);
    await expectAnswer(t.baseUrl, post("create-agent", AGENTS, { json: { agent_name: " Twin " } }), 409);
    await expectAnswer(
      t.baseUrl,
      post("create-service-hierarchical-state-machine", GRAPHS, { json: { state_machine_name: "twin" } }),
      201,
    );
    await expectAnswer(
      t.baseUrl,
      post("create-service-hierarchical-state-machine", GRAPHS, { json: { state_machine_name: "twin" } }),
      409,
    );
    const agentId = idOf(
      await expectAnswer(t.baseUrl, post("create-agent", AGENTS, { json: { agent_name: "Voiceless" } }), 201),
    );
    const version = (voice_config: unknown) =>
      post("create-agent-version", AGENT, {
        params: { ...org(), agent_id: agentId },
        json: { ...demoAgentVersionBody, voice_config },
      });
    await expectAnswer(t.baseUrl, version({ voice_id: "cartesia:0123" }), 400);
    // The first version must define the agent's fields (the spec's 400); voice_config may stay null.
    await expectAnswer(
      t.baseUrl,
      post("create-agent-version", AGENT, {
        params: { ...org(), agent_id: agentId },
        json: { initials: "VV" },
      }),
      400,
    );
    await expectAnswer(t.baseUrl, version(null), 201);
  });

  it("400 for a service whose agent has no version or whose version set names a missing version; 409 for a name in use", async () => {
    const bareAgent = idOf(
      await expectAnswer(t.baseUrl, post("create-agent", AGENTS, { json: { agent_name: "Bare" } }), 201),
    );
    const agentId = idOf(
      await expectAnswer(t.baseUrl, post("create-agent", AGENTS, { json: { agent_name: "Dressed" } }), 201),
    );
    await expectAnswer(
      t.baseUrl,
      post("create-agent-version", AGENT, {
        params: { ...org(), agent_id: agentId },
        json: demoAgentVersionBody,
      }),
      201,
    );
    const graphId = idOf(
      await expectAnswer(
        t.baseUrl,
        post("create-service-hierarchical-state-machine", GRAPHS, {
          json: { state_machine_name: "svc_flow" },
        }),
        201,
      ),
    );
    await expectAnswer(
      t.baseUrl,
      post("create-service-hierarchical-state-machine-version", GRAPH, {
        params: { ...org(), service_hierarchical_state_machine_id: graphId },
        json: demoGraphVersionBody,
      }),
      201,
    );
    const service = (fields: Record<string, unknown>) =>
      post("create-service", "/v1/{organization}/service/", {
        json: {
          name: "Unique desk",
          description: "A desk",
          is_active: true,
          agent_id: agentId,
          service_hierarchical_state_machine_id: graphId,
          keyterms: [],
          tags: {},
          ...fields,
        },
      });
    await expectAnswer(t.baseUrl, service({ agent_id: bareAgent }), 400);
    await expectAnswer(
      t.baseUrl,
      service({
        release_version_set: {
          agent_version_number: 7,
          service_hierarchical_state_machine_version_number: null,
          llm_model_preferences: {},
        },
      }),
      400,
    );
    await expectAnswer(t.baseUrl, service({ agent_id: OTHER_ID }), 404);
    const first = idOf(await expectAnswer(t.baseUrl, service({}), 201));
    await expectAnswer(t.baseUrl, service({}), 409);
    const second = idOf(await expectAnswer(t.baseUrl, service({ is_active: false }), 201));
    const update = (serviceId: string, json: unknown) =>
      post("update-service", "/v1/{organization}/service/{service_id}/", {
        params: { ...org(), service_id: serviceId },
        json,
      });
    await expectAnswer(t.baseUrl, update(second, { is_active: true }), 409);
    await expectAnswer(t.baseUrl, update(second, { agent_id: bareAgent }), 400);
    await expectAnswer(t.baseUrl, update(first, { is_active: false }), 200);
    await expectAnswer(t.baseUrl, update(second, { is_active: true }), 200);
    await expectAnswer(
      t.baseUrl,
      {
        operationId: "upsert-service-version-set",
        method: "PUT",
        path: "/v1/{organization}/service/{service_id}/version_sets/{version_set_name}/",
        params: { ...org(), service_id: second, version_set_name: "edge" },
        token,
        json: {
          version_set: {
            agent_version_number: 1,
            service_hierarchical_state_machine_version_number: 1,
            llm_model_preferences: {},
          },
        },
      },
      400,
    );
  });
});

const OTHER_ID = "0123456789abcdef01234567";
