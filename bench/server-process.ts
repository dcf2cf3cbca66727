import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Starts `src/cli/serve.ts` in its own process on a fresh data dir (the server and the benchmark client
 * then each have a core), waits for its demo credentials and returns them with a `close()`.
 */
export async function startServerProcess(extraEnv: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bench-"));
  // BENCH_SERVER_NODE_ARGS adds Node options to the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter((arg) => arg !== "") ?? [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/cli/serve.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: {
      ...process.env,
      PORT: "0",
      PARLEY_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      PARLEY_INTERACTIONS_PER_MINUTE: "1000000",
      PARLEY_CONVERSATION_CREATES_PER_MINUTE: "1000000",
      PARLEY_RATE_LIMITS: "off",
      ...extraEnv,
    },
    stdio: "inherit",
  });
  const credentialsFile = path.join(dataDir, "credentials.env");
  for (let waitedMs = 0; !fs.existsSync(credentialsFile); waitedMs += 100) {
    if (waitedMs > 60_000) throw new Error("the server did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const env = Object.fromEntries(
    fs
      .readFileSync(credentialsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("=", 2) as [string, string]),
  );
  return {
    env,
    async close() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
