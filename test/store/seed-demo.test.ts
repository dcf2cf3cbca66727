import { describe, expect, it } from "vitest";
import { ADMIN_ROLE_NAME, ALL_PERMISSIONS } from "../../src/domain/permissions.js";
import { openStore } from "../../src/store/open-store.js";
import { DEMO_ADMIN_EMAIL, seedDemo } from "../../src/store/seed-demo.js";
import { createTestDatabase, storeKinds } from "../helpers/store-fixtures.js";
import { firstPage } from "./entities.js";

describe.each(storeKinds)("seedDemo on %s", (kind) => {
  it("seeds one organization, admin and service when two servers start on one database at once", async () => {
    const database = await createTestDatabase(kind);
    const options = { databaseUrl: database.databaseUrl, dataDir: database.dataDir };
    const stores = await Promise.all([openStore(options), openStore(options)]);
    try {
      const now = new Date();
      const [first, second] = await Promise.all(stores.map((store) => seedDemo(store, now, "demo-race")));
      expect(second).toEqual(first);
      const [store] = stores;
      const services = await store.listServices("demo-race", {}, firstPage(10));
      expect(services.items.map((s) => s.id)).toEqual([first!.serviceId]);
      const users = await store.listUsers("demo-race", {}, firstPage(10));
      expect(users.items.map((u) => u.email)).toEqual([DEMO_ADMIN_EMAIL]);
      expect((await store.getRole("demo-race", ADMIN_ROLE_NAME))?.permissions).toEqual([...ALL_PERMISSIONS]);
      // The spec's four default roles, each once (create-api-key's default role among them).
      expect((await store.listRoles("demo-race")).map((r) => r.name).sort()).toEqual([
        "DefaultAdministratorRole",
        "DefaultAmigoAdministratorRole",
        "DefaultSuperAdministratorRole",
        "DefaultUserRole",
      ]);
      const service = services.items[0]!;
      const release = service.versionSets.release!;
      const agent = await store.getVersion(
        "agent",
        "demo-race",
        service.agentId,
        release.agent_version_number!,
      );
      expect(agent?.body).toBeDefined();
      expect(await seedDemo(store, now, "demo-race")).toEqual(first);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await database.cleanup();
    }
  });
});
