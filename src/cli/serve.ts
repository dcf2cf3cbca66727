import { ConfigError, loadConfig } from "../config/config.js";
import { returnFreedMemory } from "../lib/malloc-tuning.js";
import { startServer } from "../main.js";

/** `npm start`: serve on HOST:PORT until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  // Before the workers start, so that every heap they make follows it.
  const mallocTuned = returnFreedMemory();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const server = await startServer(config);
  server.app.log.info(`Parley listening on ${server.baseUrl}`);
  if (!mallocTuned) server.app.log.info("malloc: the C library's own settings (MALLOC_* set, or not glibc)");
  process.stdout.write(`\nParley is running. Open ${server.baseUrl}/ in your browser to talk to it.\n\n`);
  const stop = (signal: string) => {
    server.app.log.info(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`Parley failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
