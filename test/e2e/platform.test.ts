import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoAgentVersionBody, demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import { call } from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectResponseMatchesSpec } from "../helpers/spec-validator.js";
import { storeKinds } from "../helpers/store-fixtures.js";

describe.each(storeKinds)("auth and administration over HTTP on %s", (store) => {
  let t: TestServer;
  let token: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestServer({ store, env: { PARLEY_SIGNIN_FAILURES_PER_MINUTE: "3" } });
    token = await t.token();
    base = `${t.baseUrl}/v1/${t.orgId}`;
  });
  afterAll(async () => t.close());

  it("signs in with an API key and accepts Bearer and Basic credentials", async () => {
    const signin = await fetch(`${base}/user/signin_with_api_key`, {
      method: "POST",
      headers: {
        "x-api-key": t.apiKey,
        "x-api-key-id": t.apiKeyId,
        "x-user-id": t.userId,
        "x-mongo-cluster-name": "any",
      },
    });
    expect(signin.status).toBe(200);
    const body = (await signin.json()) as { id_token: string; expires_at: string };
    expectResponseMatchesSpec("sign-in-with-api-key", 200, body);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(55 * 60_000);

    const organization = await call(`${base}/organization/`, undefined);
    expect(organization.status).toBe(200);
    expectResponseMatchesSpec("get-organization", 200, organization.body);

    const basic = Buffer.from(`${t.orgId}_${t.userId}:${body.id_token}`).toString("base64");
    expect(
      (await call(`${base}/service/`, undefined, { headers: { authorization: `Basic ${basic}` } })).status,
    ).toBe(200);
    const wrongUser = Buffer.from(`${t.orgId}_${"f".repeat(24)}:${body.id_token}`).toString("base64");
    expect(
      (await call(`${base}/service/`, undefined, { headers: { authorization: `Basic ${wrongUser}` } }))
        .status,
    ).toBe(401);
    expect((await call(`${base}/service/`, undefined)).status).toBe(401);
    expect((await call(`${base}/service/`, "garbage")).status).toBe(401);
    expect((await call(`${t.baseUrl}/v1/nowhere/service/`, token)).status).toBe(404);
  });

  it("throttles failed sign-ins per API key id but not successful ones", async () => {
    const attempt = (secret: string, keyId = t.apiKeyId) =>
      fetch(`${base}/user/signin_with_api_key`, {
        method: "POST",
        headers: { "x-api-key": secret, "x-api-key-id": keyId, "x-user-id": t.userId },
      }).then((r) => r.status);
    for (let i = 0; i < 6; i += 1) expect(await attempt(t.apiKey)).toBe(200);
    const otherKey = "0".repeat(24);
    for (let i = 0; i < 3; i += 1) expect(await attempt("wrong", otherKey)).toBe(401);
    expect(await attempt("wrong", otherKey)).toBe(429);
    expect(await attempt(t.apiKey)).toBe(200);
  });

  it("manages users, enforces permissions and keeps organizations apart", async () => {
    const created = await call<{ user_id: string }>(`${base}/user/`, token, {
      method: "POST",
      json: {
        first_name: "Lee",
        last_name: "Park",
        email: `lee-${store}@example.com`,
        role_name: "DefaultUserRole",
      },
    });
    expect(created.status).toBe(201);
    expectResponseMatchesSpec("create-invited-user", 201, created.body);
    const userId = created.body.user_id;
    const listed = await call(`${base}/user/?user_id=${userId}`, token);
    expectResponseMatchesSpec("get-users", 200, listed.body);
    expect((listed.body as { users: unknown[] }).users).toHaveLength(1);
    const byEmail = await call<{ users: unknown[] }>(`${base}/user/?email=lee-${store}@example.com`, token);
    expect(byEmail.body.users).toHaveLength(1);

    const userToken = await t.token(userId);
    expect(
      (await call(`${base}/user/${userId}`, userToken, { method: "POST", json: { first_name: "Leo" } }))
        .status,
    ).toBe(204);
    expect(
      (await call(`${base}/user/${t.userId}`, userToken, { method: "POST", json: { first_name: "X" } }))
        .status,
    ).toBe(403);
    expect((await call(`${base}/organization/api_key/`, userToken)).status).toBe(403);
    expect(
      (await call(`${base}/organization/agent`, userToken, { method: "POST", json: { agent_name: "x" } }))
        .status,
    ).toBe(403);
    const model = await call(`${base}/user/${userId}/user_model`, userToken);
    expectResponseMatchesSpec("get-user-model", 200, model.body);
    expect((await call(`${base}/user/`, token, { method: "POST", json: { first_name: "A" } })).status).toBe(
      422,
    );

    expect((await call(`${base}/user/${userId}`, token, { method: "DELETE" })).status).toBe(204);
    expect((await call(`${base}/service/`, userToken)).status).toBe(401);
  });

  it("creates API keys, agents, context graphs and services as the spec describes", async () => {
    const key = await call<{ api_key_id: string; api_key: string }>(`${base}/organization/api_key/`, token, {
      method: "POST",
      json: { name: "ci", duration: "P30D", role_name: "DefaultAmigoAdministratorRole" },
    });
    expect(key.status).toBe(201);
    expectResponseMatchesSpec("create-api-key", 201, key.body);
    const keys = await call(`${base}/organization/api_key/`, token);
    expectResponseMatchesSpec("get-api-keys", 200, keys.body);
    expect(
      (
        await call(`${base}/organization/api_key/`, token, {
          method: "POST",
          json: { name: "x", duration: "P365D", role_name: "DefaultAmigoAdministratorRole" },
        })
      ).status,
    ).toBe(422);
    const deleted = await call(`${base}/organization/api_key/${key.body.api_key_id}/`, token, {
      method: "DELETE",
    });
    expectResponseMatchesSpec("delete-api-key", 200, deleted.body);

    const agent = await call<{ id: string }>(`${base}/organization/agent`, token, {
      method: "POST",
      json: { agent_name: "Bo" },
    });
    expectResponseMatchesSpec("create-agent", 201, agent.body);
    const agentVersion = await call(`${base}/organization/agent/${agent.body.id}/`, token, {
      method: "POST",
      json: demoAgentVersionBody,
    });
    expect(agentVersion.status).toBe(201);
    expectResponseMatchesSpec("create-agent-version", 201, agentVersion.body);
    const agents = await call(`${base}/organization/agent?id=${agent.body.id}`, token);
    expectResponseMatchesSpec("get-agents", 200, agents.body);
    expect((agents.body as { agents: { latest_version: number }[] }).agents[0]?.latest_version).toBe(1);
    const versions = await call(`${base}/organization/agent/${agent.body.id}/version`, token);
    expectResponseMatchesSpec("get-agent-versions", 200, versions.body);

    const graph = await call<{ id: string }>(
      `${base}/organization/service_hierarchical_state_machine`,
      token,
      {
        method: "POST",
        json: { state_machine_name: "clinic_copy" },
      },
    );
    expectResponseMatchesSpec("create-service-hierarchical-state-machine", 201, graph.body);
    const graphVersion = await call(
      `${base}/organization/service_hierarchical_state_machine/${graph.body.id}/`,
      token,
      {
        method: "POST",
        json: demoGraphVersionBody,
      },
    );
    expectResponseMatchesSpec("create-service-hierarchical-state-machine-version", 201, graphVersion.body);
    const graphs = await call(`${base}/organization/service_hierarchical_state_machine`, token);
    expectResponseMatchesSpec("get-service-hierarchical-state-machines", 200, graphs.body);
    const graphVersions = await call(
      `${base}/organization/service_hierarchical_state_machine/${graph.body.id}/version`,
      token,
    );
    expectResponseMatchesSpec("get-service-hierarchical-state-machine-versions", 200, graphVersions.body);
    expect(
      (
        await call(`${base}/organization/service_hierarchical_state_machine/${graph.body.id}/`, token, {
          method: "POST",
          json: { states: [] },
        })
      ).status,
    ).toBe(422);

    const service = await call<{ id: string }>(`${base}/service/`, token, {
      method: "POST",
      json: {
        name: "Copy",
        description: "A copy of the demo",
        is_active: true,
        agent_id: agent.body.id,
        service_hierarchical_state_machine_id: graph.body.id,
        keyterms: [],
        tags: {},
      },
    });
    expect(service.status).toBe(201);
    expectResponseMatchesSpec("create-service", 201, service.body);
    const upsert = await call(`${base}/service/${service.body.id}/version_sets/release/`, token, {
      method: "PUT",
      json: {
        version_set: {
          agent_version_number: 1,
          service_hierarchical_state_machine_version_number: 1,
          llm_model_preferences: {},
        },
      },
    });
    expect(upsert.status).toBe(204);
    const badSet = await call(`${base}/service/${service.body.id}/version_sets/release/`, token, {
      method: "PUT",
      json: {
        version_set: {
          agent_version_number: 9,
          service_hierarchical_state_machine_version_number: 1,
          llm_model_preferences: {},
        },
      },
    });
    // The spec's 400: the version does not belong to the service's agent.
    expect(badSet.status).toBe(400);
    expect(
      (
        await call(`${base}/service/${service.body.id}/`, token, {
          method: "POST",
          json: { name: "Renamed" },
        })
      ).status,
    ).toBe(200);
    const services = await call(`${base}/service/?id=${service.body.id}`, token);
    expectResponseMatchesSpec("get-services", 200, services.body);
    expect((services.body as { services: { name: string }[] }).services[0]?.name).toBe("Renamed");

    // The new service works end to end.
    const conversation = await fetch(`${base}/conversation/?response_format=text`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ service_id: service.body.id }),
    });
    expect(conversation.status).toBe(201);
    expect(await conversation.text()).toContain("interaction-complete");

    // The spec's 400: a service uses the agent.
    expect(
      (await call(`${base}/organization/agent/${agent.body.id}/`, token, { method: "DELETE" })).status,
    ).toBe(400);
  });
});

describe("organizations are isolated", () => {
  it("a token of one organization reaches nothing of another", async () => {
    const a = await startTestServer({ store: "sqlite" });
    try {
      const { seedDemo } = await import("../../src/store/seed-demo.js");
      const other = await seedDemo(a.server.store, new Date(), "other-org");
      const token = await a.token();
      const otherBase = `${a.baseUrl}/v1/other-org`;
      expect((await call(`${otherBase}/service/`, token)).status).toBe(403);
      expect((await call(`${otherBase}/conversation/`, token)).status).toBe(403);
      const ownServices = await call<{ services: { id: string }[] }>(
        `${a.baseUrl}/v1/${a.orgId}/service/?id=${other.serviceId}`,
        token,
      );
      expect(ownServices.body.services).toHaveLength(0);
    } finally {
      await a.close();
    }
  });
});
