import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import type { Config } from "./config/config.js";
import { closeEngines, createEngines, type Engines, warmUpEngines } from "./engines/registry.js";
import { startDemoTool } from "./domain/demo/demo-tool.js";
import { newId } from "./domain/ids.js";
import { InMemoryLeases } from "./conversation/leases.js";
import { ConversationLimits } from "./conversation/limits.js";
import { ConversationService } from "./conversation/service.js";
import { buildApp } from "./http/app.js";
import { TurnMetrics } from "./observability/metrics.js";
import { realtimeRoutes, shutdownRealtime } from "./realtime/route.js";
import type { RealtimeSession } from "./realtime/session.js";
import { hashApiKeySecret, newApiKeySecret, resolveJwtSecret, TokenService } from "./http/tokens.js";
import { ADMIN_ROLE_NAME } from "./domain/permissions.js";
import { openStore } from "./store/open-store.js";
import { seedDemo } from "./store/seed-demo.js";
import type { Store } from "./store/types.js";

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  engines: Engines;
  baseUrl: string;
  close(): Promise<void>;
}

export interface DemoCredentials {
  AMIGO_BASE_URL: string;
  AMIGO_ORGANIZATION_ID: string;
  AMIGO_USER_ID: string;
  AMIGO_API_KEY_ID: string;
  AMIGO_API_KEY: string;
  AMIGO_SERVICE_ID: string;
}

/**
 * Seeds the demo organization and issues a new API key for its admin (a key's secret is stored hashed
 * and cannot be shown again, so every call makes a new key valid for 90 days).
 */
export async function bootstrapDemo(
  store: Store,
  baseUrl: string,
  now = new Date(),
): Promise<DemoCredentials> {
  const seed = await seedDemo(store, now);
  const secret = newApiKeySecret();
  const keyId = newId();
  await store.createApiKey({
    id: keyId,
    organizationId: seed.organizationId,
    userId: seed.userId,
    secretHash: hashApiKeySecret(secret),
    roleName: ADMIN_ROLE_NAME,
    expiresAt: new Date(now.getTime() + 90 * 86_400_000).toISOString(),
    createdAt: now.toISOString(),
  });
  return {
    AMIGO_BASE_URL: baseUrl,
    AMIGO_ORGANIZATION_ID: seed.organizationId,
    AMIGO_USER_ID: seed.userId,
    AMIGO_API_KEY_ID: keyId,
    AMIGO_API_KEY: secret,
    AMIGO_SERVICE_ID: seed.serviceId,
  };
}

export function credentialsDotenv(credentials: DemoCredentials): string {
  return `${Object.entries(credentials)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n")}\n`;
}

/** Composition root: config → store → engines → HTTP server, listening. */
export async function startServer(
  config: Config,
  options: { engines?: Partial<Engines>; logStream?: DestinationStream } = {},
): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const tokens = new TokenService(resolveJwtSecret(config.jwtSecret, config.dataDir), config.tokenTtlSeconds);
  // Engines may warn before the app's logger exists; those warnings wait and are logged once it does.
  const pendingWarnings: string[] = [];
  let warn = (message: string): void => {
    pendingWarnings.push(message);
  };
  const engines = await createEngines(config, (message) => warn(message), options.engines);
  const demoTool = config.engines.demoTool ? await startDemoTool(engines.tools, config) : undefined;
  const now = () => new Date();
  let logWarning = (error: unknown, message: string): void => warn(`${message}: ${String(error)}`);
  const conversations = new ConversationService({
    store,
    engines,
    config,
    leases: new InMemoryLeases(),
    limits: new ConversationLimits(config),
    now,
    warn: (error, message) => logWarning(error, message),
  });
  const metrics = new TurnMetrics();
  const deps = { config, store, tokens, engines, conversations, metrics, now };
  const realtimeSessions = new Map<string, RealtimeSession>();
  const app = await buildApp(deps, options.logStream, [
    (scope) => realtimeRoutes(scope, deps, realtimeSessions),
  ]);
  warn = (message) => app.log.warn(message);
  logWarning = (error, message) => app.log.warn({ err: error }, message);
  for (const message of pendingWarnings) warn(message);
  if (config.engines.warmup) {
    const startedAt = Date.now();
    await warmUpEngines(engines);
    app.log.info({ durationMs: Date.now() - startedAt }, "speech engines warmed up");
  }
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const baseUrl = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;

  const credentialsFile = path.join(config.dataDir, "credentials.env");
  if (!config.skipBootstrap && !fs.existsSync(credentialsFile)) {
    const credentials = await bootstrapDemo(store, baseUrl);
    fs.writeFileSync(credentialsFile, credentialsDotenv(credentials), { mode: 0o600 });
    app.log.info(
      { credentialsFile },
      `Demo organization ready; client credentials written to ${credentialsFile}`,
    );
  }
  return {
    app,
    store,
    engines,
    baseUrl,
    async close() {
      await shutdownRealtime(realtimeSessions);
      await app.close();
      await closeEngines(engines);
      await demoTool?.close();
      await store.close();
    },
  };
}
