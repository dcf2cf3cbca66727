import { ConfigError, loadConfig } from "../config/config.js";
import { bootstrapDemo, credentialsDotenv } from "../main.js";
import { openStore } from "../store/open-store.js";

/**
 * `npm run bootstrap`: creates (idempotently) the demo organization, admin user and demo service, issues
 * a new API key, and prints the dotenv lines a client needs.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const baseUrl = `http://${config.host}:${config.port}`;
    process.stdout.write(credentialsDotenv(await bootstrapDemo(store, baseUrl)));
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
