/**
 * The administration operations' documented statuses beyond validation (names in use, versions a
 * service lacks, unknown voices, version filters), on a real server (SQLite). Every answer is checked
 * against the spec.
 */
import { describe, expect, it } from "vitest";
import { demoAgentVersionBody, demoGraphVersionBody } from "../../src/domain/demo/clinic-receptionist.js";
import { expectAnswer, expectInvalid } from "./api-call.js";
import { useConformanceServer } from "./conformance-server.js";

const api = useConformanceServer({ store: "sqlite" });

describe("agent version lists", () => {
  it("filter by a version number, latest, or a range, and refuse any other filter", async () => {
    const agentId = await api.createdId(api.call("create-agent", { json: { agent_name: "Versions" } }));
    for (const background of ["First.", "Second.", "Third."]) {
      await expectAnswer(
        api.t.baseUrl,
        api.call("create-agent-version", {
          params: { agent_id: agentId },
          json: { ...demoAgentVersionBody, background },
        }),
        201,
      );
    }
    const versions = async (version: string) => {
      const answer = await expectAnswer(
        api.t.baseUrl,
        api.call("get-agent-versions", {
          params: { agent_id: agentId },
          query: { version },
        }),
        200,
      );
      return (answer.body as { agent_versions: { version: number; background: string }[] }).agent_versions;
    };
    expect((await versions("latest")).map((v) => [v.version, v.background])).toEqual([[3, "Third."]]);
    expect((await versions("2")).map((v) => v.version)).toEqual([2]);
    expect((await versions("1-2")).map((v) => v.version).sort()).toEqual([1, 2]);
    expect(await versions("9")).toEqual([]);
    await expectInvalid(
      api.t.baseUrl,
      api.call("get-agent-versions", {
        params: { agent_id: agentId },
        query: { version: "newest" },
      }),
      "query.version",
    );
  });
});

describe("administration statuses as the spec documents them", () => {
  it("409 for a second agent or context graph of one name; 400 for an unknown voice", async () => {
    await expectAnswer(api.t.baseUrl, api.call("create-agent", { json: { agent_name: "Twin" } }), 201);
    await expectAnswer(api.t.baseUrl, api.call("create-agent", { json: { agent_name: " Twin " } }), 409);
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-service-hierarchical-state-machine", { json: { state_machine_name: "twin" } }),
      201,
    );
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-service-hierarchical-state-machine", { json: { state_machine_name: "twin" } }),
      409,
    );
    const agentId = await api.createdId(api.call("create-agent", { json: { agent_name: "Voiceless" } }));
    const version = (voice_config: unknown) =>
      api.call("create-agent-version", {
        params: { agent_id: agentId },
        json: { ...demoAgentVersionBody, voice_config },
      });
    await expectAnswer(api.t.baseUrl, version({ voice_id: "cartesia:0123" }), 400);
    // The first version must define the agent's fields (the spec's 400); voice_config may stay null.
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-agent-version", {
        params: { agent_id: agentId },
        json: { initials: "VV" },
      }),
      400,
    );
    await expectAnswer(api.t.baseUrl, version(null), 201);
  });

  it("400 for a service whose agent has no version or whose version set names a missing version; 409 for a name in use", async () => {
    const bareAgent = await api.createdId(api.call("create-agent", { json: { agent_name: "Bare" } }));
    const agentId = await api.createdId(api.call("create-agent", { json: { agent_name: "Dressed" } }));
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-agent-version", {
        params: { agent_id: agentId },
        json: demoAgentVersionBody,
      }),
      201,
    );
    const graphId = await api.createdId(
      api.call("create-service-hierarchical-state-machine", { json: { state_machine_name: "svc_flow" } }),
    );
    await expectAnswer(
      api.t.baseUrl,
      api.call("create-service-hierarchical-state-machine-version", {
        params: { service_hierarchical_state_machine_id: graphId },
        json: demoGraphVersionBody,
      }),
      201,
    );
    const service = (fields: Record<string, unknown>) =>
      api.call("create-service", {
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
    await expectAnswer(api.t.baseUrl, service({ agent_id: bareAgent }), 400);
    await expectAnswer(
      api.t.baseUrl,
      service({
        release_version_set: {
          agent_version_number: 7,
          service_hierarchical_state_machine_version_number: null,
          llm_model_preferences: {},
        },
      }),
      400,
    );
    await expectAnswer(api.t.baseUrl, service({ agent_id: OTHER_ID }), 404);
    const first = await api.createdId(service({}));
    await expectAnswer(api.t.baseUrl, service({}), 409);
    const second = await api.createdId(service({ is_active: false }));
    const update = (serviceId: string, json: unknown) =>
      api.call("update-service", {
        params: { service_id: serviceId },
        json,
      });
    await expectAnswer(api.t.baseUrl, update(second, { is_active: true }), 409);
    await expectAnswer(api.t.baseUrl, update(second, { agent_id: bareAgent }), 400);
    await expectAnswer(api.t.baseUrl, update(first, { is_active: false }), 200);
    await expectAnswer(api.t.baseUrl, update(second, { is_active: true }), 200);
    await expectAnswer(
      api.t.baseUrl,
      api.call("upsert-service-version-set", {
        params: { service_id: second, version_set_name: "edge" },
        json: {
          version_set: {
            agent_version_number: 1,
            service_hierarchical_state_machine_version_number: 1,
            llm_model_preferences: {},
          },
        },
      }),
      400,
    );
  });
});

const OTHER_ID = "0123456789abcdef01234567";
