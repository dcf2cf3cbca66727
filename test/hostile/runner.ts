import { setTimeout as sleep } from "node:timers/promises";
import { type SpeechFixtures, silenceWav, textForm } from "./bodies.js";
import { type CaseKind, type Category, type Expectation, type Lane, request, routes } from "./cases.js";
import { Prng } from "./prng.js";
import { exchange, ndjsonEvents, type RawResponse } from "./raw-http.js";
import type { Supervisor } from "./supervisor.js";
import type { Actor, ActorPool, World } from "./world.js";

/** Requests at a time per lane (see `Lane`): modest, for a 2-core machine shared with the server. */
export const LANE_CONCURRENCY: Record<Lane, number> = { fast: 8, slow: 6, voice: 2 };

export type Phase = "probe" | "alone" | "flood" | "crowd";

/** The requests of a flood: a kind and the seed its request is built with. */
export type FloodPlan = { kind: CaseKind; seed: number }[];

/** The verdict on one request. */
export interface Outcome {
  category: Category;
  kind: string;
  phase: Phase;
  /** What came back: a status, or how the exchange ended (`closed`, `reset`, `timeout`, `hung-up`, …). */
  seen: string;
  expected: string;
  pass: boolean;
  durationMs: number;
  /** When the request started, in ms since the runner was made. */
  startMs: number;
}

/** A request that ended this long before the server stopped answering is still a suspect. */
const SUSPECT_MARGIN_MS = 1_000;
const MAX_FINISHED_KEPT = 2_000;
const FOLLOW_UP_TEXT = "Could I have another time please";
const FOLLOW_UP_BOUNDARY = "hostileFollowUpBoundary";
/** After a hang-up the server learns of the closed connection a moment later: the follow-up may retry 409. */
const FOLLOW_UP_RETRIES_AFTER_HANGUP = 10;
const FOLLOW_UP_RETRY_PAUSE_MS = 100;

/**
 * At most `limit` tasks at a time; the others wait in order. The waiting line holds at most one flood
 * plan (every request of a flood is queued at once, by design), so it is bounded by the plan's length.
 */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

function describeResponse(response: RawResponse): string {
  if (response.scriptError !== undefined) return `script-error: ${response.scriptError}`;
  if (response.status === undefined) return response.end;
  if (response.status === 200 && response.headers["content-type"]?.includes("ndjson") === true) {
    if (response.end === "hung-up") return "200/hung-up";
    const events = ndjsonEvents(response.body);
    const error = events.find((e) => e.type === "error");
    if (error !== undefined) return `200/error-event ${String(error.http_error_code)}`;
    if (!events.some((e) => e.type === "interaction-complete"))
      return `200/${response.end}-without-interaction-complete`;
    return "200";
  }
  return response.end === "complete" ? String(response.status) : `${response.status}/${response.end}`;
}

function describeExpectation(expect: Expectation): string {
  const parts = expect.hangup === true ? ["hung-up"] : expect.statuses.map(String);
  if (expect.closeOk === true) parts.push("closed");
  return parts.join("|");
}

/** Whether a response meets the expectation. */
export function meets(expect: Expectation, response: RawResponse): boolean {
  if (response.scriptError !== undefined) return false;
  if (expect.hangup === true) return response.end === "hung-up";
  if (response.status !== undefined && response.status !== 0) {
    if (!expect.statuses.includes(response.status)) return false;
    // A 200 stream must run to its end.
    return response.status !== 200 || describeResponse(response) === "200";
  }
  return expect.closeOk === true && (response.end === "closed" || response.end === "reset");
}

/** Runs hostile cases through the lanes against the supervised server, and books every outcome. */
export class HostileRunner {
  readonly outcomes: Outcome[] = [];
  /** Kinds left out of the flood because on their own they crashed or wedged the server. */
  readonly excluded = new Map<string, string>();
  private readonly lanes: Record<Lane, Semaphore> = {
    fast: new Semaphore(LANE_CONCURRENCY.fast),
    slow: new Semaphore(LANE_CONCURRENCY.slow),
    voice: new Semaphore(LANE_CONCURRENCY.voice),
  };
  private readonly inFlight = new Map<number, string>();
  /** The latest finished requests (kind, and when they ended), for blaming a server death. */
  private readonly finished: { kind: string; endMs: number }[] = [];
  private nextRequestId = 0;
  /** Follow-ups after a hang-up that found the conversation still claimed (409) and had to retry. */
  followUpRetries = 0;
  supervisor!: Supervisor;
  private readonly createdAt = performance.now();

  constructor(
    private readonly world: World,
    private readonly speech: SpeechFixtures,
  ) {}

  /**
   * The kinds in flight at `sinceMs` or later: those in flight now, and those that ended after
   * `sinceMs` (less `SUSPECT_MARGIN_MS`, since work may go on after an answer is sent).
   */
  suspectsSince(sinceMs: number): string[] {
    const recent = this.finished.filter((f) => f.endMs >= sinceMs - SUSPECT_MARGIN_MS).map((f) => f.kind);
    return [...new Set([...this.inFlight.values(), ...recent])];
  }

  private record(outcome: Omit<Outcome, "startMs">): void {
    this.outcomes.push({
      ...outcome,
      startMs: Math.round(performance.now() - outcome.durationMs - this.createdAt),
    });
  }

  /** One request of `kind`, built with `seed`; then, if the kind asks for it, the follow-up interact. */
  runCase(kind: CaseKind, seed: number, phase: Phase): Promise<void> {
    return this.lanes[kind.lane].run(async () => {
      const expected = describeExpectation(kind.expect);
      if (!(await this.supervisor.up())) {
        this.record({
          category: kind.category,
          kind: kind.kind,
          phase,
          seen: "not-sent (server down)",
          expected,
          pass: false,
          durationMs: 0,
        });
        return;
      }
      const pool: ActorPool | undefined =
        kind.pool === undefined
          ? undefined
          : kind.pool === "users"
            ? this.world.users
            : this.world.insightUsers;
      const actor = pool === undefined ? this.world.users.actors[0]! : await pool.take();
      const requestId = this.nextRequestId++;
      this.inFlight.set(requestId, kind.kind);
      try {
        const built = kind.build({ world: this.world, actor, rng: new Prng(seed), speech: this.speech });
        const response = await exchange(this.world.port, built);
        this.finished.push({ kind: kind.kind, endMs: performance.now() });
        if (this.finished.length > MAX_FINISHED_KEPT)
          this.finished.splice(0, this.finished.length - MAX_FINISHED_KEPT);
        this.record({
          category: kind.category,
          kind: kind.kind,
          phase,
          seen: describeResponse(response),
          expected,
          pass: meets(kind.expect, response),
          durationMs: Math.round(response.durationMs),
        });
        await this.acknowledge(response, pool === undefined ? undefined : actor);
        if (kind.followUp === true && pool !== undefined) {
          const lenient = kind.expect.hangup === true || response.end !== "complete";
          await this.followUp(kind, actor, phase, lenient);
        }
      } finally {
        this.inFlight.delete(requestId);
        if (pool !== undefined) pool.give(actor);
      }
    });
  }

  /** Books what a complete 200/201 stream acknowledged; renews the actor's conversation if it ended. */
  private async acknowledge(response: RawResponse, actor: Actor | undefined): Promise<void> {
    if ((response.status !== 200 && response.status !== 201) || response.end !== "complete") return;
    if (response.headers["content-type"]?.includes("ndjson") !== true) return;
    const events = this.world.acknowledge(response.body);
    if (events.completed !== true || actor === undefined || !(await this.supervisor.up())) return;
    // The conversation reached its end: the actor gets a new one (a failure here is a finding too).
    await this.world.renew(actor).catch((error: unknown) =>
      this.record({
        category: "conversation-unlocked",
        kind: "a new conversation for a user whose conversation ended",
        phase: "flood",
        seen: `error: ${error instanceof Error ? error.message : String(error)}`,
        expected: "201",
        pass: false,
        durationMs: 0,
      }),
    );
  }

  /** A normal text interact on the conversation the hostile request used: it must not be left locked. */
  private async followUp(kind: CaseKind, actor: Actor, phase: Phase, lenient: boolean): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      if (!(await this.supervisor.up())) return;
      const response = await exchange(
        this.world.port,
        request(routes.interactText(this.world, actor.conversationId), {
          token: actor.token,
          contentType: `multipart/form-data; boundary=${FOLLOW_UP_BOUNDARY}`,
          body: textForm(FOLLOW_UP_BOUNDARY, FOLLOW_UP_TEXT),
        }),
      );
      if (response.status === 409 && lenient && attempt < FOLLOW_UP_RETRIES_AFTER_HANGUP) {
        this.followUpRetries += 1;
        await sleep(FOLLOW_UP_RETRY_PAUSE_MS);
        continue;
      }
      this.record({
        category: "conversation-unlocked",
        kind: `after ${kind.kind}`,
        phase,
        seen: describeResponse(response),
        expected: "200",
        pass: meets({ statuses: [200] }, response),
        durationMs: Math.round(response.durationMs),
      });
      await this.acknowledge(response, actor);
      return;
    }
  }

  /**
   * One request of every kind. Kinds in flight when the server died are then sent again one at a time;
   * a kind that kills or wedges the server on its own is left out of the flood (and fails its category).
   */
  async probe(kinds: CaseKind[], rng: Prng): Promise<void> {
    const deathsBefore = this.supervisor.deaths.length;
    await Promise.all(kinds.map((kind) => this.runCase(kind, rng.int(0, 2 ** 31), "probe")));
    const suspects = new Set(this.supervisor.deaths.slice(deathsBefore).flatMap((d) => d.suspects));
    // A clean server for the reruns: conversations an earlier failure left locked would hide the cause.
    if (suspects.size > 0) await this.supervisor.restart(false, { fresh: true });
    for (const kind of kinds.filter((k) => suspects.has(k.kind))) {
      if (!(await this.supervisor.up())) break;
      const deathsBeforeAlone = this.supervisor.deaths.length;
      await this.runCase(kind, rng.int(0, 2 ** 31), "alone");
      if (this.supervisor.deaths.length === deathsBeforeAlone && !(await this.supervisor.ping())) {
        await this.supervisor.restart(true);
      }
      const death = this.supervisor.deaths.slice(deathsBeforeAlone)[0];
      if (death !== undefined) {
        this.excluded.set(
          kind.kind,
          death.death.killedAsWedged
            ? "wedged the server (it stopped answering pings; killed)"
            : `crashed the server (exit code ${String(death.death.code)}, signal ${String(death.death.signal)})`,
        );
      }
    }
  }

  /** `count` requests of each kind, shuffled with the seed. */
  planFlood(kinds: CaseKind[], rng: Prng): FloodPlan {
    const plan: FloodPlan = [];
    for (const kind of kinds) {
      for (let i = 0; i < kind.count; i += 1) plan.push({ kind, seed: rng.int(0, 2 ** 31) });
    }
    return rng.shuffle(plan);
  }

  /** Sends a plan through the lanes (the kinds excluded by the probe are booked as not sent). */
  async flood(plan: FloodPlan): Promise<void> {
    await Promise.all(
      plan.map(({ kind, seed }) => {
        const reason = this.excluded.get(kind.kind);
        if (reason === undefined) return this.runCase(kind, seed, "flood");
        this.record({
          category: kind.category,
          kind: kind.kind,
          phase: "flood",
          seen: `not-sent (${reason})`,
          expected: describeExpectation(kind.expect),
          pass: false,
          durationMs: 0,
        });
        return Promise.resolve();
      }),
    );
  }

  /**
   * One user sends three voice notes at once on three conversations (PARLEY_VOICE_NOTES_PER_USER = 2):
   * two keep uploading (above the minimum rate) until the third has been answered, which must be a
   * 429; then the two finish their silence and get 400 (no speech).
   */
  async crowd(rounds: number): Promise<void> {
    const { crowd } = this.world;
    const book = (response: RawResponse, statuses: number[], which: string) =>
      this.record({
        category: "voice-concurrency",
        kind: which,
        phase: "crowd",
        seen: describeResponse(response),
        expected: statuses.join("|"),
        pass: meets({ statuses }, response),
        durationMs: Math.round(response.durationMs),
      });
    for (let round = 0; round < rounds; round += 1) {
      if (!(await this.supervisor.up())) return;
      let thirdAnswered = false;
      let started = 0;
      const uploading = (conversationId: string) => {
        const body = silenceWav(3_000);
        return exchange(
          this.world.port,
          request(routes.interactVoice(this.world, conversationId), {
            token: crowd.token,
            contentType: "audio/wav",
            contentLength: body.length,
            // 4 kB every 100 ms (40 kB/s, well above the minimum rate) until the third note is answered.
            body: async (io) => {
              let offset = 0;
              for (; offset < body.length && !thirdAnswered && !io.answered; offset += 4_000) {
                await io.write(body.subarray(offset, offset + 4_000));
                if (offset === 0) started += 1;
                await io.sleep(100);
              }
              await io.write(body.subarray(offset));
              return "end";
            },
          }),
        );
      };
      const first = uploading(crowd.conversationIds[0]!);
      const second = uploading(crowd.conversationIds[1]!);
      for (let waitedMs = 0; started < 2 && waitedMs < 5_000; waitedMs += 20) await sleep(20);
      await sleep(200);
      const third = await exchange(
        this.world.port,
        request(routes.interactVoice(this.world, crowd.conversationIds[2]!), {
          token: crowd.token,
          contentType: "audio/wav",
          body: silenceWav(300),
        }),
      );
      thirdAnswered = true;
      book(third, [429], "third-at-once");
      book(await first, [400], "first-of-two");
      book(await second, [400], "second-of-two");
      for (const response of [third, await first, await second]) await this.acknowledge(response, undefined);
    }
  }
}
