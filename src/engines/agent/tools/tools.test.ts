import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOCK_TOOL_ID, clockTool } from "./clock-tool.js";
import { httpTool } from "./http-tool.js";
import { ToolRegistry } from "./registry.js";
import { runTool } from "./run-tool.js";
import { satisfiesVersionConstraint } from "./version-constraint.js";

const spec = (toolId: string, constraint = ">=1.0") => ({
  tool_id: toolId,
  version_constraint: constraint,
  result_persistence: "persisted" as const,
});

describe("tool version constraints", () => {
  it("reads the PEP 440 clauses the graphs use", () => {
    expect(satisfiesVersionConstraint("1.2.0", ">=1.0,<2")).toBe(true);
    expect(satisfiesVersionConstraint("2.0.0", ">=1.0,<2")).toBe(false);
    expect(satisfiesVersionConstraint("1.4.2", "==1.*")).toBe(true);
    expect(satisfiesVersionConstraint("1.4.2", "~=1.3")).toBe(true);
    expect(satisfiesVersionConstraint("2.0.0", "~=1.3")).toBe(false);
    expect(satisfiesVersionConstraint("1.0.0", "*")).toBe(true);
    expect(satisfiesVersionConstraint("1.0.0", "latest")).toBe(false);
  });
});

describe("runTool", () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === "/echo") {
        const chunks: Buffer[] = [];
        request.on("data", (c: Buffer) => chunks.push(c));
        request.on("end", () => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ got: JSON.parse(Buffer.concat(chunks).toString()) as unknown }));
        });
      } else if (request.url === "/text") {
        response.end("not json");
      } else if (request.url === "/slow") {
        setTimeout(() => response.end("{}"), 2000).unref();
      } else {
        response.writeHead(500);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const registryWith = (path: string, timeoutMs = 1000) =>
    new ToolRegistry([
      clockTool(() => new Date("2026-11-24T09:30:00Z")),
      httpTool({
        id: "a".repeat(24),
        name: "probe",
        description: "test",
        version: "1.0.0",
        url: `${base}${path}`,
        timeoutMs,
        inputSchema: { type: "object", properties: { n: { type: "number" } } },
      }),
    ]);
  const signal = new AbortController().signal;

  it("posts the parameters as JSON and returns the JSON answer, persisted when the spec says so", async () => {
    const outcome = await runTool(registryWith("/echo"), spec("a".repeat(24)), { n: 3 }, signal);
    expect(outcome.failure).toBeUndefined();
    expect(JSON.parse(outcome.result)).toEqual({ got: { n: 3 } });
    expect(outcome.persist).toBe(true);
  });

  it("maps each failure to its code", async () => {
    const codes = async (
      path: string,
      parameters: { [k: string]: string | number },
      constraint = ">=1",
      timeoutMs = 1000,
    ) =>
      (await runTool(registryWith(path, timeoutMs), spec("a".repeat(24), constraint), parameters, signal))
        .failure?.code;
    expect(await codes("/fail", {})).toBe("http_error");
    expect(await codes("/text", {})).toBe("invalid_result");
    expect(await codes("/slow", {}, ">=1", 100)).toBe("timeout");
    expect(await codes("/echo", { n: "three" })).toBe("invalid_parameters");
    expect(await codes("/echo", {}, ">=2")).toBe("version_mismatch");
    const unknown = await runTool(registryWith("/echo"), spec("b".repeat(24)), {}, signal);
    expect(unknown.failure?.code).toBe("unknown_tool");
    expect(JSON.parse(unknown.result)).toMatchObject({ error: { code: "unknown_tool" } });
  });

  it("an unreachable endpoint fails with code unreachable", async () => {
    const registry = new ToolRegistry([
      httpTool({
        id: "c".repeat(24),
        name: "gone",
        description: "test",
        version: "1.0.0",
        url: "http://127.0.0.1:1/",
        timeoutMs: 1000,
        inputSchema: { type: "object", properties: {} },
      }),
    ]);
    expect((await runTool(registry, spec("c".repeat(24)), {}, signal)).failure?.code).toBe("unreachable");
  });

  it("stops waiting with the turn's abort reason when the user leaves", async () => {
    const controller = new AbortController();
    const reason = new DOMException("barge-in", "AbortError");
    const pending = runTool(registryWith("/slow"), spec("a".repeat(24)), {}, controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("the built-in clock tells the time in the given zone", async () => {
    const outcome = await runTool(
      registryWith("/echo"),
      spec(CLOCK_TOOL_ID),
      { timezone: "Europe/Paris" },
      signal,
    );
    expect(JSON.parse(outcome.result)).toMatchObject({
      time: "10:30",
      weekday: "Tuesday",
      date: "2026-11-24",
    });
    const bad = await runTool(
      registryWith("/echo"),
      spec(CLOCK_TOOL_ID),
      { timezone: "Mars/Olympus" },
      signal,
    );
    expect(bad.failure?.code).toBe("invalid_parameters");
  });
});
