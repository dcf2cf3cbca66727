import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_SLOTS_TOOL_ID } from "../../src/domain/demo/open-slots.js";
import { call, callStream, type StreamEvent, textMessage } from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { expectEventsMatchSpec } from "../helpers/spec-validator.js";

const TOOL_EVENTS = [
  "designated-tool-retrieved",
  "designated-tool-call-params-generated",
  "tool-call-started",
  "tool-call-ended",
  "navigate-state-machine-tool-call-state-tool-output-available",
];

type Action = { type: string; [field: string]: unknown };
const actionsOf = (events: StreamEvent[]): Action[] =>
  events.flatMap((e) => (e.type === "current-agent-action" ? [e.action as Action] : []));

/** The demo conversation up to the reason for the visit, which sends the agent to its open-slots tool. */
async function reasonTurn(t: TestServer, reason = "I have had a sore throat since Monday") {
  const token = await t.token();
  const base = `${t.baseUrl}/v1/${t.orgId}`;
  const created = await callStream(`${base}/conversation/?response_format=text`, token, {
    json: { service_id: t.serviceId },
  });
  const id = created.events[0]!.conversation_id as string;
  const turn = await callStream(
    `${base}/conversation/${id}/interact?request_format=text&response_format=text`,
    token,
    { form: textMessage(reason) },
  );
  expect(turn.status).toBe(200);
  expectEventsMatchSpec(turn.events);
  const complete = turn.events.find((e) => e.type === "interaction-complete");
  const stored =
    complete === undefined
      ? undefined
      : await t.server.store.getInteraction(t.orgId, id, complete.interaction_id as string);
  return { events: turn.events, actions: actionsOf(turn.events), complete, stored };
}

const isFiller = (event: StreamEvent) =>
  event.type === "current-agent-action" && (event.action as Action).type === "action-too-long";

describe("tool calls over HTTP (the demo's open-slots endpoint)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ store: "sqlite", env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" } });
  });
  afterAll(async () => t.close());

  it("streams the spec's tool events in order, passes the entities, stores them, and speaks the result", async () => {
    const { actions, complete, stored, events } = await reasonTurn(
      t,
      "I have a cough, could I come on friday at 2 pm",
    );
    const types = actions.map((a) => a.type);
    const at = TOOL_EVENTS.map((type) => types.indexOf(type));
    expect(at.every((index, i) => index >= 0 && (i === 0 || index > at[i - 1]!))).toBe(true);
    const started = actions[at[2]!]!;
    expect(started).toMatchObject({
      tool_id: OPEN_SLOTS_TOOL_ID,
      tool_version: "1.0.0",
      tool_round_index: 0,
    });
    expect((started.input_params as { requested_time: string }).requested_time).toMatch(/friday at 2 pm$/);
    const ended = actions[at[3]!]!;
    expect(JSON.parse(ended.result as string)).toMatchObject({
      open_slot: expect.stringMatching(/friday at 2 pm$/) as unknown,
    });
    expect(typeof ended.duration).toBe("number");
    expect(complete?.full_message).toMatch(/next available appointment is (on )?friday at 2 pm/i);
    // The fast tool made no filler.
    expect(events.some(isFiller)).toBe(false);
    const storedTypes = ((stored?.insights.actions ?? []) as Action[]).map((a) => a.type);
    for (const type of TOOL_EVENTS) expect(storedTypes).toContain(type);
  });
});

describe("a slow tool gets its authored filler before the answer", () => {
  let t: TestServer;
  beforeAll(async () => {
    // The demo graph's open-slots spec triggers its filler after 1.5 s; the tool answers after 2.5 s.
    t = await startTestServer({ store: "sqlite", env: { PARLEY_DEMO_TOOL_DELAY_MS: "2500" } });
  });
  afterAll(async () => t.close());

  it("sends action-too-long after tool-call-started and before tool-call-ended and the reply", async () => {
    const { events, complete } = await reasonTurn(t);
    const index = (predicate: (e: StreamEvent) => boolean) => events.findIndex(predicate);
    const startedAt = index(
      (e) => e.type === "current-agent-action" && (e.action as Action).type === "tool-call-started",
    );
    const fillerAt = index(isFiller);
    const endedAt = index(
      (e) => e.type === "current-agent-action" && (e.action as Action).type === "tool-call-ended",
    );
    const answerAt = index((e) => e.type === "new-message");
    expect(startedAt).toBeGreaterThanOrEqual(0);
    expect(fillerAt).toBeGreaterThan(startedAt);
    expect(endedAt).toBeGreaterThan(fillerAt);
    expect(answerAt).toBeGreaterThan(endedAt);
    const filler = events[fillerAt]!.action as Action;
    expect(["Let me look at the calendar.", "One moment please, I am checking the calendar."]).toContain(
      filler.filler,
    );
    expect((filler.previously_started_event as Action).type).toBe("tool-call-started");
    expect(complete?.full_message).not.toMatch(/calendar/);
  });
});

describe("a tool that times out or fails: the documented behaviour", () => {
  let failing: http.Server;
  let failingUrl: string;
  let dir: string;
  beforeAll(async () => {
    failing = http.createServer((_request, response) => {
      response.writeHead(503, { "content-type": "application/json" });
      response.end('{"error":"calendar down"}');
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
    failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-tools-"));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => failing.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The turn completes, `tool-call-ended` carries `{"error":{code,message}}`, and the reply uses its fallback. */
  const expectToolFailure = async (t: TestServer, code: string) => {
    const { actions, complete, stored, events } = await reasonTurn(t);
    expect(events.some((e) => e.type === "error")).toBe(false);
    const ended = actions.find((a) => a.type === "tool-call-ended")!;
    expect(JSON.parse(ended.result as string)).toMatchObject({ error: { code } });
    const output = actions.find(
      (a) => a.type === "navigate-state-machine-tool-call-state-tool-output-available",
    )!;
    expect(output.tool_output).toBe(ended.result);
    expect(complete?.full_message).toMatch(/next available appointment is tomorrow at ten in the morning/i);
    expect(((stored?.insights.actions ?? []) as Action[]).some((a) => a.type === "tool-call-ended")).toBe(
      true,
    );
  };

  it("a tool slower than its timeout fails with code timeout, and the conversation goes on", async () => {
    const t = await startTestServer({
      store: "sqlite",
      env: { PARLEY_DEMO_TOOL_DELAY_MS: "5000", PARLEY_TOOL_TIMEOUT_MS: "300", PARLEY_FILLERS: "false" },
    });
    try {
      await expectToolFailure(t, "timeout");
    } finally {
      await t.close();
    }
  });

  it("a tool answering 503 fails with code http_error; a tools file registers HTTP tools by id", async () => {
    const file = path.join(dir, "tools.json");
    fs.writeFileSync(
      file,
      JSON.stringify([
        {
          id: OPEN_SLOTS_TOOL_ID,
          name: "open_slots",
          description: "The clinic's calendar",
          version: "1.2.0",
          url: failingUrl,
          timeout_ms: 2000,
          input_schema: { type: "object", properties: { requested_time: { type: "string" } } },
        },
      ]),
    );
    const t = await startTestServer({
      store: "sqlite",
      env: { PARLEY_DEMO_TOOL: "false", PARLEY_TOOLS_FILE: file },
    });
    try {
      await expectToolFailure(t, "http_error");
      const token = await t.token();
      const list = await call(`${t.baseUrl}/v1/${t.orgId}/conversation/?limit=1`, token);
      expect(list.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("a tools file that cannot be read stops the start with an error naming the setting", async () => {
    await expect(
      startTestServer({ store: "sqlite", env: { PARLEY_TOOLS_FILE: path.join(dir, "missing.json") } }),
    ).rejects.toThrow(/PARLEY_TOOLS_FILE/);
  });
});
