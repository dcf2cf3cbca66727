/**
 * The server under hostile test, in a process of its own: `startServer` with the configuration from the
 * environment, as `npm start` runs it, plus an IPC channel through which the suite asks for a garbage
 * collection and the memory figures (the process runs with `--expose-gc`). No handler for uncaught
 * errors is installed: whatever would kill the real server kills this one.
 */
import { loadConfig } from "../../src/config/config.js";
import { startServer } from "../../src/main.js";

/** Messages from the suite. */
export type ToServer = { type: "memory"; gc: boolean };
/** Messages to the suite. */
export type FromServer =
  | { type: "ready"; baseUrl: string }
  | { type: "memory"; rssBytes: number; heapUsedBytes: number; externalBytes: number };

const server = await startServer(loadConfig());
const send = (message: FromServer) => process.send?.(message);
send({ type: "ready", baseUrl: server.baseUrl });

process.on("message", (message: ToServer) => {
  if (message.type !== "memory") return;
  if (message.gc) (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  send({
    type: "memory",
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    externalBytes: usage.external,
  });
});

const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
// The suite went away without stopping this process.
process.once("disconnect", stop);
