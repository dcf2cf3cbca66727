/**
 * The hostile-input suite (issue 8): some 1,500 generated bad requests across the API, each checked
 * against its documented status, while a bystander keeps using the server.
 *
 * The server runs in a child process (server-entry.ts), so that a crash is an exit the suite can see
 * and survive, its memory is its own, and it and the client each have a core. The run: set up users
 * and conversations; send one request of every kind (the probe: it warms the server up, and a kind that
 * crashes or hangs the server on its own is left out of the flood and named); take the memory baseline;
 * send the flood (`count` requests of every kind, shuffled with the seed) through three lanes; check
 * three concurrent voice notes of one user; measure memory again. Then every category, the server's
 * survival, the bystander's worst latency, memory and the database are checked.
 *
 * Environment: `PARLEY_HOSTILE_SEED` replays a run (the seed is printed); `PARLEY_HOSTILE_KINDS=a,b`
 * keeps only the kinds whose `category/kind` contains a word; `PARLEY_HOSTILE_OUTCOMES=<file>` writes
 * every outcome as a JSON line.
 */
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/store-fixtures.js";
import { type SpeechFixtures, speechFixtures } from "./bodies.js";
import { Bystander, type BystanderReport } from "./bystander.js";
import { type MemoryReport, RssSampler } from "./memory.js";
import { authCases, type Forgeries, forgeTokens } from "./cases-auth.js";
import { audioCases } from "./cases-audio.js";
import { multipartCases } from "./cases-multipart.js";
import { textCases } from "./cases-text.js";
import { transportCases } from "./cases-transport.js";
import { CATEGORIES, type CaseKind } from "./cases.js";
import { hostileSeed, Prng } from "./prng.js";
import { HostileRunner } from "./runner.js";
import { type MemorySample, ServerProcess } from "./server-process.js";
import { failuresOf, summaryTable } from "./summary.js";
import { Supervisor } from "./supervisor.js";
import { type RowSnapshot, World } from "./world.js";

/** Small limits so that the suite stays fast; the status policy of issue 8 in env form. */
const SERVER_ENV: Record<string, string> = {
  PARLEY_WARMUP: "false",
  PARLEY_BODY_STALL_TIMEOUT_MS: "400",
  PARLEY_BODY_TIMEOUT_MS: "3000",
  PARLEY_BODY_MIN_BYTES_PER_SECOND: "1024",
  PARLEY_MAX_AUDIO_BYTES: "2000000",
  PARLEY_MAX_AUDIO_DURATION_MS: "20000",
  PARLEY_MAX_TEXT_BODY_BYTES: "1048576",
  PARLEY_MAX_MULTIPART_FIELDS: "100",
  PARLEY_VOICE_NOTES_PER_USER: "2",
  PARLEY_INTERACTIONS_PER_MINUTE: "1000000",
  PARLEY_CONVERSATION_CREATES_PER_MINUTE: "1000000",
  PARLEY_RATE_LIMITS: "off",
  PARLEY_SIGNIN_FAILURES_PER_MINUTE: "1000000",
};
/** Restarts allowed after crashes or hangs, so one fatal input does not hide every other finding. */
const RESTART_BUDGET = 12;
const USERS = 12;
const INSIGHT_USERS = 4;
const CROWD_ROUNDS = 4;
/** Time for abandoned work to wind down before memory is measured. */
const SETTLE_MS = 1_500;
/** "Not stalled": no bystander request may take longer than this (generous: a 2-core box under load). */
const BYSTANDER_BOUND_MS = 2_000;
/**
 * Memory "near its baseline", in the server process after two full collections:
 * - JS memory (V8 heap in use plus external memory: Buffers, ArrayBuffers) within 32 MiB: a request
 *   body or per-request state kept by mistake, times some 1,700 requests, would exceed it.
 * - RSS within 256 MiB: RSS also holds the speech recognizer's native sessions in its worker threads
 *   (made on demand, up to 2 workers with 2 sessions each, each a decoder with the acoustic model and
 *   its grammar searches), memory the allocators keep for reuse, and WebAssembly memories, which only
 *   grow. Runs here ended between -27 and +108 MiB from the baseline.
 * - Peak RSS within 640 MiB of the baseline: bodies are capped (2 MB of audio, 1 MiB of text) and at
 *   most 16 hostile requests run at once.
 */
const HEAP_MARGIN_BYTES = 32 * 1024 * 1024;
const RSS_MARGIN_BYTES = 256 * 1024 * 1024;
const PEAK_MARGIN_BYTES = 640 * 1024 * 1024;

/**
 * `PARLEY_HOSTILE_KINDS=a,b` keeps only the kinds whose `category/kind` contains one of the words (to
 * replay a failure quickly with its seed); the 1,000-request floor is then not checked.
 */
const kindFilter = (process.env.PARLEY_HOSTILE_KINDS ?? "").split(",").filter((word) => word !== "");
const keep = (kind: CaseKind) =>
  kindFilter.length === 0 || kindFilter.some((word) => `${kind.category}/${kind.kind}`.includes(word));

/** Memory of the server once abandoned work has wound down (`waitMs`), after two full collections. */
async function settledMemory(server: ServerProcess, waitMs: number): Promise<MemorySample | undefined> {
  await sleep(waitMs);
  await server.memory({ gc: true });
  return server.memory({ gc: true });
}

describe("hostile input (issue 8): no request crashes the server, locks a user out or stalls others", () => {
  const seed = hostileSeed();
  let database: TestDatabase;
  let server: ServerProcess;
  let world: World;
  let speech: SpeechFixtures;
  let runner: HostileRunner;
  let supervisor: Supervisor;
  let kinds: CaseKind[];
  let before: RowSnapshot;
  let after: RowSnapshot;
  let bystander: BystanderReport | undefined;
  let memory: MemoryReport | undefined;
  let memoryNote = "";

  beforeAll(async () => {
    const startedAt = performance.now();
    process.stdout.write(`hostile suite: seed ${seed} (replay with PARLEY_HOSTILE_SEED=${seed})\n`);
    database = await createTestDatabase("sqlite");
    await World.seedOtherOrganization(database.dataDir);
    server = new ServerProcess(database.dataDir, SERVER_ENV);
    await server.start();
    world = new World(server);
    await world.setUp({ users: USERS, insightUsers: INSIGHT_USERS });
    const forged: Forgeries = await forgeTokens(world);
    speech = speechFixtures();
    kinds = [
      ...multipartCases(),
      ...audioCases(),
      ...textCases(),
      ...authCases(() => forged),
      ...transportCases(),
    ].filter(keep);
    runner = new HostileRunner(world, speech);
    supervisor = new Supervisor(server, world.orgId, RESTART_BUDGET, (sinceMs) =>
      runner.suspectsSince(sinceMs),
    );
    runner.supervisor = supervisor;
    supervisor.watch();
    before = world.snapshot();

    const bystanderClient = new Bystander(world, () => supervisor.up());
    bystanderClient.start();
    const rng = new Prng(seed);
    try {
      // One of each kind first: it warms the server up and finds the kinds that kill it on their own.
      await runner.probe(kinds, rng);
      const baseline = await settledMemory(server, 500);
      const baselinePid = server.pid;
      const sampler = new RssSampler(server);
      sampler.start();
      const plan = runner.planFlood(kinds, rng);
      const half = Math.floor(plan.length / 2);
      await runner.flood(plan.slice(0, half));
      const halfway = await settledMemory(server, SETTLE_MS);
      await runner.flood(plan.slice(half));
      await runner.crowd(CROWD_ROUNDS);
      sampler.stop();
      bystander = await bystanderClient.stop();
      const settled = await settledMemory(server, SETTLE_MS);
      const rss = server.rss();
      if (
        baseline === undefined ||
        halfway === undefined ||
        settled === undefined ||
        rss === undefined ||
        server.pid !== baselinePid
      ) {
        memoryNote = "the server process did not last from the baseline to the end of the run";
      } else {
        const js = (sample: MemorySample) => sample.heapUsedBytes + sample.externalBytes;
        memory = {
          baselineRssBytes: baseline.rssBytes,
          baselineHeapBytes: js(baseline),
          peakRssBytes: Math.max(sampler.peakRssBytes, settled.rssBytes),
          highWaterRssBytes: rss.peakRssBytes,
          halfwayRssBytes: halfway.rssBytes,
          halfwayHeapBytes: js(halfway),
          afterRssBytes: settled.rssBytes,
          afterHeapBytes: js(settled),
        };
      }
      after = world.snapshot();
    } finally {
      bystander ??= await bystanderClient.stop();
      await supervisor.stop();
      // Every outcome as a JSON line, for a closer look at a failing run.
      const outcomesFile = process.env.PARLEY_HOSTILE_OUTCOMES;
      if (outcomesFile !== undefined && outcomesFile !== "") {
        fs.writeFileSync(outcomesFile, runner.outcomes.map((o) => JSON.stringify(o)).join("\n"));
      }
      process.stdout.write(
        `${summaryTable({
          seed,
          outcomes: runner.outcomes,
          excluded: runner.excluded,
          deaths: supervisor.deaths,
          followUpRetries: runner.followUpRetries,
          bystander,
          memory,
          elapsedMs: performance.now() - startedAt,
        })}\n`,
      );
    }
  }, 420_000);

  afterAll(async () => {
    await server?.stop();
    speech?.cleanup();
    await database?.cleanup();
  });

  it.skipIf(kindFilter.length > 0)("sends at least 1,000 generated hostile requests", () => {
    const sent = runner.outcomes.filter((o) => o.phase === "flood").length;
    expect(sent).toBeGreaterThanOrEqual(1_000);
  });

  it.each(CATEGORIES)("%s: every request gets its documented status", (category) => {
    if (kindFilter.length === 0) expect(runner.outcomes.some((o) => o.category === category)).toBe(true);
    expect(failuresOf(runner.outcomes, category)).toEqual([]);
  });

  it("the server stays up (no crash, no hang)", () => {
    const deaths = supervisor.deaths.map(
      ({ death, suspects }) =>
        `${death.killedAsWedged ? "wedged" : `exit ${String(death.code)}/${String(death.signal)}`} with suspects: ${suspects.join(", ")}`,
    );
    expect(deaths).toEqual([]);
    expect([...runner.excluded]).toEqual([]);
  });

  it(`a bystander is never stalled beyond ${BYSTANDER_BOUND_MS} ms and always served`, () => {
    expect(bystander).toBeDefined();
    expect(bystander!.failures).toEqual([]);
    expect(bystander!.worstMs).toBeLessThan(BYSTANDER_BOUND_MS);
  });

  it("the server's memory returns near its baseline", () => {
    expect(memoryNote).toBe("");
    const m = memory!;
    expect(m.afterHeapBytes - m.baselineHeapBytes).toBeLessThan(HEAP_MARGIN_BYTES);
    expect(m.afterRssBytes - m.baselineRssBytes).toBeLessThan(RSS_MARGIN_BYTES);
    expect(m.peakRssBytes - m.baselineRssBytes).toBeLessThan(PEAK_MARGIN_BYTES);
  });

  it("nothing is kept of a rejected or abandoned request", () => {
    expect(after).toBeDefined();
    const added = <T>(now: Set<T>, then: Set<T>) => [...now].filter((id) => !then.has(id));
    const unacknowledged = {
      conversations: added(after.conversations, before.conversations).filter(
        (id) => !world.ackedConversations.has(id),
      ),
      interactions: added(after.interactions, before.interactions).filter(
        (id) => !world.ackedInteractions.has(id),
      ),
      messages: [...after.messages].filter(
        ([id, interactionId]) => !before.messages.has(id) && !world.ackedInteractions.has(interactionId),
      ).length,
    };
    expect(unacknowledged).toEqual({ conversations: [], interactions: [], messages: 0 });
    // The book is right: every interaction the server acknowledged during the run is in the database.
    const acknowledged = [...world.ackedInteractions].filter((id) => !before.interactions.has(id));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((id) => !after.interactions.has(id))).toEqual([]);
  });
});
