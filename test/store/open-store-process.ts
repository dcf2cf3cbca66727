// Run as a child process by migrations.test.ts: opens the store at the given data dir (and database URL,
// when given), which runs the migrations, writes one organization and exits 0; anything thrown exits 1.
import { newId } from "../../src/domain/ids.js";
import { openStore } from "../../src/store/open-store.js";

const [dataDir, databaseUrl] = process.argv.slice(2);
if (dataDir === undefined) throw new Error("usage: open-store-process <dataDir> [databaseUrl]");
const store = await openStore({ dataDir, databaseUrl: databaseUrl === "" ? undefined : databaseUrl });
const id = newId();
await store.createOrganization({
  id,
  name: id,
  title: "from a process",
  createdAt: new Date().toISOString(),
});
await store.close();
