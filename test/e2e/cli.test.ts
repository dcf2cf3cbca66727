import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/**
 * The child's whole environment: what a shell gives any program (PATH to find tools, HOME) and the
 * settings named. Nothing of the test runner's own environment (DATABASE_URL, PARLEY_*, LOG_LEVEL...)
 * leaks in, so the command is tested with exactly the configuration the test states.
 */
function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.homedir(), ...settings };
}

function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (fs.existsSync(file) && fs.readFileSync(file, "utf8").includes("AMIGO_SERVICE_ID")) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`${file} did not appear`));
      else setTimeout(poll, 100);
    };
    poll();
  });
}

describe("the serve command", () => {
  it("bootstraps the demo organization on first start and writes working credentials", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-cli-"));
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/serve.ts"], {
      cwd: repoRoot,
      env: childEnv({ PARLEY_DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "info" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    try {
      const credentialsFile = path.join(dataDir, "credentials.env");
      await waitForFile(credentialsFile, 30_000);
      const env = Object.fromEntries(
        fs
          .readFileSync(credentialsFile, "utf8")
          .trim()
          .split("\n")
          .map((l) => l.split("=", 2) as [string, string]),
      );
      expect(Object.keys(env)).toEqual([
        "AMIGO_BASE_URL",
        "AMIGO_ORGANIZATION_ID",
        "AMIGO_USER_ID",
        "AMIGO_API_KEY_ID",
        "AMIGO_API_KEY",
        "AMIGO_SERVICE_ID",
      ]);
      const signin = await fetch(
        `${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}/user/signin_with_api_key`,
        {
          method: "POST",
          headers: {
            "x-api-key": env.AMIGO_API_KEY!,
            "x-api-key-id": env.AMIGO_API_KEY_ID!,
            "x-user-id": env.AMIGO_USER_ID!,
          },
        },
      );
      expect(signin.status).toBe(200);
      expect(log).toContain("credentials.env");
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("names the bad variable and exits non-zero on bad configuration", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/serve.ts"], {
      cwd: repoRoot,
      env: childEnv({ PORT: "not-a-port" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("PORT");
  });
});
