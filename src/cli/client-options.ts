import fs from "node:fs";
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, EXIT } from "./cli-error.js";

/** Where a client finds the server and signs in. */
export interface ClientCredentials {
  baseUrl: string;
  organizationId: string;
  userId: string;
  apiKeyId: string;
  apiKey: string;
  serviceId: string;
}

/** The flags every client command takes (credentials), besides its own. */
export const CREDENTIAL_FLAGS = {
  env: { type: "string" },
  "base-url": { type: "string" },
  org: { type: "string" },
  user: { type: "string" },
  "key-id": { type: "string" },
  key: { type: "string" },
  service: { type: "string" },
  conversation: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** The default dotenv file: the one the server writes on its first start, from the repository root. */
export const DEFAULT_ENV_FILE = path.join("data", "credentials.env");

function readDotenv(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match === null) continue;
    values[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, "$2");
  }
  return values;
}

/** Parses `args` with the credential flags plus `own`; unknown flags are a usage error. */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], own: T) {
  try {
    return parseArgs({
      args,
      options: { ...CREDENTIAL_FLAGS, ...own },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new CliError(EXIT.usage, error instanceof Error ? error.message : String(error));
  }
}

/**
 * The credentials: each flag wins over the dotenv file (`--env`, default `data/credentials.env`), whose
 * keys are the ones the server writes (`AMIGO_BASE_URL`, `AMIGO_ORGANIZATION_ID`, …).
 */
export function resolveCredentials(flags: Record<string, string | boolean | undefined>): ClientCredentials {
  const envFile = typeof flags.env === "string" ? flags.env : DEFAULT_ENV_FILE;
  let file: Record<string, string> = {};
  if (fs.existsSync(envFile)) file = readDotenv(envFile);
  else if (typeof flags.env === "string") throw new CliError(EXIT.usage, `No such file: ${envFile}`);
  const pick = (flag: string, key: string): string | undefined => {
    const value = flags[flag];
    return typeof value === "string" && value !== "" ? value : file[key];
  };
  const credentials = {
    baseUrl: pick("base-url", "AMIGO_BASE_URL") ?? "http://127.0.0.1:8080",
    organizationId: pick("org", "AMIGO_ORGANIZATION_ID"),
    userId: pick("user", "AMIGO_USER_ID"),
    apiKeyId: pick("key-id", "AMIGO_API_KEY_ID"),
    apiKey: pick("key", "AMIGO_API_KEY"),
    serviceId: pick("service", "AMIGO_SERVICE_ID"),
  };
  const missing = Object.entries({
    "--org": credentials.organizationId,
    "--user": credentials.userId,
    "--key-id": credentials.apiKeyId,
    "--key": credentials.apiKey,
    "--service": credentials.serviceId,
  })
    .filter(([, value]) => value === undefined)
    .map(([flag]) => flag);
  if (missing.length > 0) {
    throw new CliError(
      EXIT.usage,
      `Missing credentials: ${missing.join(", ")}. Give them as flags, or point --env at the ` +
        `credentials file the server writes (default ${envFile}; \`npm run bootstrap\` prints one).`,
    );
  }
  return { ...credentials, baseUrl: credentials.baseUrl.replace(/\/+$/, "") } as ClientCredentials;
}
