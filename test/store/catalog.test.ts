import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.js";
import type { Service, Store, VersionedKind } from "../../src/store/types.js";
import { openTestStore, storeKinds, type TestStore } from "../helpers/store-fixtures.js";
import { at, firstPage } from "./entities.js";

const kinds: VersionedKind[] = ["agent", "context_graph"];

describe.each(storeKinds)("agents, context graphs and services on %s", (storeKind) => {
  let opened: TestStore;
  let store: Store;
  const orgA = newId();
  const orgB = newId();

  beforeAll(async () => {
    opened = await openTestStore(storeKind);
    store = opened.store;
    await store.createOrganization({ id: orgA, name: orgA, title: "A", createdAt: at(0) });
    await store.createOrganization({ id: orgB, name: orgB, title: "B", createdAt: at(0) });
  });
  afterAll(async () => opened.cleanup());

  it.each(kinds)("numbers %s versions from 1 and keeps each body as written", async (kind) => {
    const id = newId();
    await store.createVersioned(kind, {
      id,
      organizationId: orgA,
      name: `n-${kind}`,
      description: "d",
      createdAt: at(1),
    });
    expect(await store.getVersioned(kind, orgA, id)).toEqual({
      id,
      organizationId: orgA,
      name: `n-${kind}`,
      description: "d",
      createdAt: at(1),
    });
    const body = {
      persona: { name: "Ada", role: "receptionist", background: "Works at Maple Clinic." },
      behaviors: ["be brief"],
      voice_config: { voice_id: "slt", stability: 0.5 },
      states: { greet: { type: "action", exit_conditions: [{ description: "done", next_state: "end" }] } },
    };
    const v1 = await store.addVersion(kind, orgA, id, body, at(2));
    const v2 = await store.addVersion(kind, orgA, id, { ...body, behaviors: [] }, at(3));
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect((await store.getVersion(kind, orgA, id, 1))?.body).toEqual(body);
    expect(await store.getVersion(kind, orgA, id, "latest")).toEqual(v2);
    expect(await store.getVersion(kind, orgA, id, 3)).toBeUndefined();
    expect(await store.getVersion(kind, orgB, id, 1)).toBeUndefined();

    const newestFirst = await store.listVersions(kind, orgA, id, firstPage(1, ["-version"]));
    expect(newestFirst).toEqual({ items: [v2], hasMore: true, continuationToken: 1 });
    expect((await store.listVersions(kind, orgA, id, firstPage(10))).items.map((v) => v.version)).toEqual([
      1, 2,
    ]);
    expect((await store.listVersions(kind, orgB, id, firstPage(10))).items).toEqual([]);
  });

  it.each(kinds)("refuses a version of a missing or foreign %s", async (kind) => {
    const id = newId();
    await store.createVersioned(kind, {
      id,
      organizationId: orgA,
      name: "x",
      description: "",
      createdAt: at(0),
    });
    await expect(store.addVersion(kind, orgB, id, {}, at(0))).rejects.toMatchObject({ code: "not_found" });
    await expect(store.addVersion(kind, orgA, newId(), {}, at(0))).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await store.getVersion(kind, orgB, id, "latest")).toBeUndefined();
  });

  it.each(kinds)("gives concurrent new %s versions distinct numbers", async (kind) => {
    const id = newId();
    await store.createVersioned(kind, {
      id,
      organizationId: orgA,
      name: "race",
      description: "",
      createdAt: at(0),
    });
    const added = await Promise.all([1, 2, 3, 4].map((n) => store.addVersion(kind, orgA, id, { n }, at(n))));
    expect(added.map((v) => v.version).sort()).toEqual([1, 2, 3, 4]);
    const listed = await store.listVersions(kind, orgA, id, firstPage(10));
    expect(listed.items.map((v) => v.version)).toEqual([1, 2, 3, 4]);
  });

  it.each(kinds)("lists, filters and deletes %s entities within their organization", async (kind) => {
    const ids = [newId(), newId(), newId()];
    for (const [i, id] of ids.entries()) {
      await store.createVersioned(kind, {
        id,
        organizationId: orgB,
        name: `e${i}`,
        description: "",
        createdAt: at(i),
      });
      await store.addVersion(kind, orgB, id, { i }, at(i));
    }
    const page = await store.listVersioned(kind, orgB, { ids: ids.slice(0, 2) }, firstPage(10, ["-name"]));
    expect(page.items.map((e) => e.name)).toEqual(["e1", "e0"]);
    expect((await store.listVersioned(kind, orgA, { ids }, firstPage(10))).items).toEqual([]);

    const [victim] = ids as [string];
    expect((await store.getVersion(kind, orgB, victim, 1))?.body).toEqual({ i: 0 });
    expect(await store.deleteVersioned(kind, orgA, victim)).toBe(false);
    expect(await store.getVersioned(kind, orgB, victim)).toBeDefined();
    expect(await store.deleteVersioned(kind, orgB, victim)).toBe(true);
    expect(await store.getVersioned(kind, orgB, victim)).toBeUndefined();
    expect(await store.getVersion(kind, orgB, victim, 1)).toBeUndefined();
    await expect(
      store.createVersioned(kind, {
        id: ids[1]!,
        organizationId: orgB,
        name: "dup",
        description: "",
        createdAt: at(0),
      }),
    ).rejects.toMatchObject({ code: "conflict" });
  });

  function service(orgId: string, name: string, isActive: boolean, seconds: number): Service {
    return {
      id: newId(),
      organizationId: orgId,
      name,
      description: `${name} service`,
      agentId: newId(),
      graphId: newId(),
      isActive,
      tags: { team: "front-desk", beta: null },
      versionSets: {
        release: {
          agent_version_number: 1,
          service_hierarchical_state_machine_version_number: 2,
          llm_model_preferences: { "openai/gpt": { temperature: 0.2 } },
        },
        edge: {
          agent_version_number: null,
          service_hierarchical_state_machine_version_number: null,
          llm_model_preferences: {},
        },
      },
      createdAt: at(seconds),
      updatedAt: at(seconds),
    };
  }

  it("stores services with their version sets, updates, filters and sorts them", async () => {
    const org = newId();
    await store.createOrganization({ id: org, name: org, title: "services", createdAt: at(0) });
    const clinic = service(org, "clinic", true, 1);
    const bakery = service(org, "bakery", false, 2);
    await store.createService(clinic);
    await store.createService(bakery);
    expect(await store.getService(org, clinic.id)).toEqual(clinic);
    expect(await store.getService(orgA, clinic.id)).toBeUndefined();

    const updated: Service = {
      ...clinic,
      versionSets: {
        ...clinic.versionSets,
        edge: {
          agent_version_number: 2,
          service_hierarchical_state_machine_version_number: 3,
          llm_model_preferences: {},
        },
      },
      updatedAt: at(9),
    };
    await store.updateService(updated);
    expect(await store.getService(org, clinic.id)).toEqual(updated);
    await store.updateService({ ...updated, organizationId: orgA, name: "hijacked" });
    expect((await store.getService(org, clinic.id))?.name).toBe("clinic");

    const active = await store.listServices(org, { isActive: true }, firstPage(10));
    expect(active.items.map((s) => s.name)).toEqual(["clinic"]);
    const byName = await store.listServices(org, {}, firstPage(10, ["+name"]));
    expect(byName.items.map((s) => s.name)).toEqual(["bakery", "clinic"]);
    const activeFirst = await store.listServices(org, {}, firstPage(10, ["-is_active", "name"]));
    expect(activeFirst.items.map((s) => s.name)).toEqual(["clinic", "bakery"]);
    const one = await store.listServices(org, { ids: [bakery.id] }, firstPage(10));
    expect(one.items).toEqual([bakery]);
    await expect(store.createService(clinic)).rejects.toMatchObject({ code: "conflict" });
  });
});
