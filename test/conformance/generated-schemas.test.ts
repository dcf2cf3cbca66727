import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildApiSchemaDocument,
  DEFAULT_SPEC_PATH,
  GENERATED_FILE,
  generateApiSchemaSource,
  IMPLEMENTED_OPERATIONS,
  rateLimitOf,
  REPO_ROOT,
} from "../../scripts/generate-api-schemas.js";

const spec = JSON.parse(fs.readFileSync(DEFAULT_SPEC_PATH, "utf8")) as Parameters<
  typeof buildApiSchemaDocument
>[0];

describe("the generated request schemas", () => {
  it("are what the script generates from ../shared/amigo-openapi.json", async () => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, GENERATED_FILE), "utf8");
    const regenerated = await generateApiSchemaSource(spec, REPO_ROOT);
    expect(regenerated === committed, "run: npx tsx scripts/generate-api-schemas.ts").toBe(true);
  });

  it("list every operation of the spec, the implemented ones with their request schemas", () => {
    const document = buildApiSchemaDocument(spec);
    const specCount = Object.values(spec.paths).reduce(
      (count, methods) => count + Object.keys(methods).filter((m) => m !== "parameters").length,
      0,
    );
    expect(document.operations).toHaveLength(specCount);
    expect(Object.keys(document.requests).sort()).toEqual([...IMPLEMENTED_OPERATIONS].sort());
    expect(document.operations.find((o) => o.operationId === "create-conversation")?.rateLimitPerMinute).toBe(
      5,
    );
    expect(
      document.operations.find((o) => o.operationId === "interact-with-conversation")?.rateLimitPerMinute,
    ).toBe(15);
  });

  it("read the rate limit from a 429 description", () => {
    expect(
      rateLimitOf("The user has exceeded the rate limit of 5 requests per minute for this endpoint."),
    ).toBe(5);
    expect(
      rateLimitOf("The user has exceeded the rate limit of 1 request per minute for this endpoint."),
    ).toBe(1);
    expect(rateLimitOf(undefined)).toBeNull();
  });
});

describe("docs/api-operations.md", () => {
  it("lists every operation of the spec once, as implemented or not as the server serves it", () => {
    const page = fs.readFileSync(path.join(REPO_ROOT, "docs/api-operations.md"), "utf8");
    const rows = new Map<string, string>();
    for (const line of page.split("\n")) {
      const match = /^\|\s*`([a-z0-9_-]+)`\s*\|.*\|\s*([^|]+?)\s*\|$/.exec(line);
      if (match === null) continue;
      expect(rows.has(match[1]!), `${match[1]} listed twice`).toBe(false);
      rows.set(match[1]!, match[2]!.trim());
    }
    const document = buildApiSchemaDocument(spec);
    expect([...rows.keys()].sort()).toEqual(document.operations.map((o) => o.operationId).sort());
    for (const operation of document.operations) {
      const status = rows.get(operation.operationId)!;
      expect(status.startsWith("not implemented"), `${operation.operationId}: ${status}`).toBe(
        !operation.implemented,
      );
    }
  });
});
