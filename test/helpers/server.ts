import fs from "node:fs";
import path from "node:path";
import { type Config, loadConfig } from "../../src/config/config.js";
import type { AgentEngine } from "../../src/engines/agent/types.js";
import type { Engines } from "../../src/engines/registry.js";
import type { DestinationStream } from "pino";
import { startServer, type RunningServer } from "../../src/main.js";
import { createTestDatabase, type StoreKind } from "./store-fixtures.js";

export interface TestServer {
  server: RunningServer;
  baseUrl: string;
  orgId: string;
  userId: string;
  apiKeyId: string;
  apiKey: string;
  serviceId: string;
  /** Signs in with the demo API key (as `userId` unless another user is named). */
  token(userId?: string): Promise<string>;
  close(): Promise<void>;
}

/** A real server on 127.0.0.1, port 0, on a fresh database of the given kind, with the demo org seeded. */
export async function startTestServer(options: {
  store: StoreKind;
  env?: Record<string, string>;
  agent?: AgentEngine;
  /** Engines that replace the configured ones (the agent option wins for the agent). */
  engines?: Partial<Engines>;
  /** Receives the server's log lines (JSON) instead of stdout. */
  logStream?: DestinationStream;
}): Promise<TestServer> {
  const database = await createTestDatabase(options.store);
  const config: Config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    PARLEY_DATA_DIR: database.dataDir,
    LOG_LEVEL: "warn",
    PARLEY_WARMUP: "false",
    // Tests make many requests a minute as one user: the spec's per-operation limits are off, and
    // conversations may be created freely, unless a test's own env sets them.
    PARLEY_RATE_LIMITS: "off",
    PARLEY_CONVERSATION_CREATES_PER_MINUTE: "100000",
    ...(database.databaseUrl === undefined ? {} : { DATABASE_URL: database.databaseUrl }),
    ...options.env,
  });
  const server = await startServer(config, {
    engines: { ...options.engines, ...(options.agent === undefined ? {} : { agent: options.agent }) },
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
  });
  const credentials = Object.fromEntries(
    fs
      .readFileSync(path.join(database.dataDir, "credentials.env"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("=", 2) as [string, string]),
  );
  const base = {
    server,
    baseUrl: server.baseUrl,
    orgId: credentials.AMIGO_ORGANIZATION_ID!,
    userId: credentials.AMIGO_USER_ID!,
    apiKeyId: credentials.AMIGO_API_KEY_ID!,
    apiKey: credentials.AMIGO_API_KEY!,
    serviceId: credentials.AMIGO_SERVICE_ID!,
  };
  return {
    ...base,
    async token(userId = base.userId) {
      const response = await fetch(`${base.baseUrl}/v1/${base.orgId}/user/signin_with_api_key`, {
        method: "POST",
        headers: { "x-api-key": base.apiKey, "x-api-key-id": base.apiKeyId, "x-user-id": userId },
      });
      if (response.status !== 200) throw new Error(`sign-in failed: ${response.status}`);
      return ((await response.json()) as { id_token: string }).id_token;
    },
    async close() {
      await server.close();
      await database.cleanup();
    },
  };
}

/** A test server (see {@link startTestServer}) with a demo user's token and the org's API base URL. */
export async function signedInServer(
  options: Parameters<typeof startTestServer>[0],
): Promise<{ t: TestServer; token: string; base: string }> {
  const t = await startTestServer(options);
  return { t, token: await t.token(), base: `${t.baseUrl}/v1/${t.orgId}` };
}
