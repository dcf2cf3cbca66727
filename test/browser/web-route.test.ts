import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { isLoopback } from "../../src/http/routes/web.js";
import { startServer } from "../../src/main.js";
import { DEMO_ORGANIZATION_ID } from "../../src/store/seed-demo.js";
import { createTestDatabase } from "../helpers/store-fixtures.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { buildWebPage } from "./chromium.js";

/** A GET with a chosen Host header (fetch does not let a caller set it), and other headers. */
function getWithHost(
  url: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { ...headers, host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

describe("the web page's routes", () => {
  let server: TestServer;
  beforeAll(async () => {
    buildWebPage();
    server = await startTestServer({ store: "sqlite" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves the page and its files from this origin only, and nothing else under /web/", async () => {
    const page = await fetch(`${server.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('src="/web/app.js"');
    for (const [file, type] of [
      ["app.js", /^text\/javascript/],
      ["capture-worklet.js", /^text\/javascript/],
      ["app.css", /^text\/css/],
    ] as const) {
      const response = await fetch(`${server.baseUrl}/web/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get("content-type")).toMatch(type);
    }
    for (const file of ["index.html", "build.mjs", "..%2Fpackage.json", "demo-settings.json"]) {
      expect((await fetch(`${server.baseUrl}/web/${file}`)).status, file).toBe(404);
    }
  });

  it("hands the demo credentials to a loopback client of a loopback server, and they sign in", async () => {
    const response = await fetch(`${server.baseUrl}/web/demo-settings`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const settings = (await response.json()) as Record<string, string | boolean>;
    expect(settings).toMatchObject({
      available: true,
      organization_id: server.orgId,
      user_id: server.userId,
      api_key_id: server.apiKeyId,
      api_key: server.apiKey,
      service_id: server.serviceId,
    });
    const signin = await fetch(
      `${server.baseUrl}/v1/${String(settings.organization_id)}/user/signin_with_api_key`,
      {
        method: "POST",
        headers: {
          "x-api-key": String(settings.api_key),
          "x-api-key-id": String(settings.api_key_id),
          "x-user-id": String(settings.user_id),
        },
      },
    );
    expect(signin.status).toBe(200);
  });

  it("refuses them to a request naming another host (a page reached by DNS rebinding)", async () => {
    const answer = await getWithHost(`${server.baseUrl}/web/demo-settings`, "attacker.example:8080");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ available: false });
  });

  it("refuses them to a page of another site (cross-site fetch), not to the page itself", async () => {
    const host = new URL(server.baseUrl).host;
    const url = `${server.baseUrl}/web/demo-settings`;
    const crossSite = [
      { origin: "https://attacker.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "http://localhost:1234" },
    ];
    for (const headers of crossSite) {
      expect(JSON.parse((await getWithHost(url, host, headers)).body), JSON.stringify(headers)).toEqual({
        available: false,
      });
    }
    const own = await getWithHost(url, host, { origin: server.baseUrl, "sec-fetch-site": "same-origin" });
    expect(JSON.parse(own.body)).toMatchObject({ available: true });
  });

  it("refuses them when the server listens beyond loopback", async () => {
    const open = await startTestServer({ store: "sqlite", env: { HOST: "0.0.0.0" } });
    try {
      const port = new URL(open.baseUrl).port;
      const answer = await getWithHost(`http://127.0.0.1:${port}/web/demo-settings`, `127.0.0.1:${port}`);
      expect(JSON.parse(answer.body)).toEqual({ available: false });
    } finally {
      await open.close();
    }
  });

  it("refuses them when there is no demo organization, even with a credentials file naming it", async () => {
    const database = await createTestDatabase("sqlite");
    const bare = await startServer(
      loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        PARLEY_DATA_DIR: database.dataDir,
        PARLEY_NO_BOOTSTRAP: "true",
        PARLEY_WARMUP: "false",
        LOG_LEVEL: "warn",
      }),
    );
    try {
      fs.writeFileSync(
        path.join(database.dataDir, "credentials.env"),
        `AMIGO_ORGANIZATION_ID=${DEMO_ORGANIZATION_ID}\nAMIGO_USER_ID=u\nAMIGO_API_KEY_ID=k\nAMIGO_API_KEY=s\n`,
      );
      const settings = await (await fetch(`${bare.baseUrl}/web/demo-settings`)).json();
      expect(settings).toEqual({ available: false });
    } finally {
      await bare.close();
      await database.cleanup();
    }
  });

  it("knows loopback names and addresses", () => {
    for (const host of ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "10.0.0.1", "::", "example.com", "127.0.0.1.example.com", undefined]) {
      expect(isLoopback(host), String(host)).toBe(false);
    }
  });
});
