import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docsRoutes, realtimeDocPathFor } from "../../src/http/routes/docs.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const source = (file: string) => fs.readFileSync(path.join(repoRoot, file), "utf8");
const matches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1]!);

/**
 * Every server message type the code can send: the real-time modules' literal sends, the route's refusal, and the
 * turn events the session forwards as `server.<wire type>`.
 */
function serverMessageTypes(): string[] {
  const types = [
    ...fs
      .readdirSync(path.join(repoRoot, "src/realtime"))
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) => matches(source(`src/realtime/${file}`), /\.send\("(server\.[a-z-]+)"/g)),
    ...matches(source("src/realtime/route.ts"), /"(server\.[a-z-]+)"/g),
    // The wire bodies' own types (`return {` or `? {` then `type:`), not the types of actions inside them.
    ...matches(source("src/protocol/wire.ts"), /(?:return|\?) \{\s*type: "([a-z-]+)"/g).map(
      (type) => `server.${type}`,
    ),
  ];
  return [...new Set(types)].sort();
}

function clientMessageTypes(): string[] {
  return [...new Set(matches(source("src/realtime/messages.ts"), /case "(client\.[a-z-]+)"/g))].sort();
}

describe("GET /docs/realtime", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ store: "sqlite" });
  });
  afterAll(() => t.close());

  it("serves the protocol document as markdown, with a section for every message type the code handles", async () => {
    const response = await fetch(`${t.baseUrl}/docs/realtime`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const markdown = await response.text();
    expect(markdown).toBe(source("docs/realtime.md"));

    const serverTypes = serverMessageTypes();
    const clientTypes = clientMessageTypes();
    // The patterns above must keep finding the senders, or this test would check nothing.
    expect(serverTypes.length).toBeGreaterThanOrEqual(15);
    expect(clientTypes.length).toBeGreaterThanOrEqual(9);
    const undocumented = [...serverTypes, ...clientTypes].filter(
      (type) => !markdown.includes(`### \`${type}\``),
    );
    expect(undocumented).toEqual([]);
  });
});

describe("docsRoutes", () => {
  it("answers 404 in the API's error shape when the document is missing", async () => {
    const app = Fastify();
    await app.register(docsRoutes, { realtimeDocPath: path.join(repoRoot, "docs", "no-such-file.md") });
    const response = await app.inject({ method: "GET", url: "/docs/realtime" });
    await app.close();
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: expect.any(String) });
  });

  it("finds docs/ at the repository root from src/ and from the compiled dist/src/", () => {
    expect(realtimeDocPathFor("file:///srv/parley/src/http/routes/docs.ts")).toBe(
      path.join("/srv/parley", "docs", "realtime.md"),
    );
    expect(realtimeDocPathFor("file:///srv/parley/dist/src/http/routes/docs.js")).toBe(
      path.join("/srv/parley", "docs", "realtime.md"),
    );
  });
});
