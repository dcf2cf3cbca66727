import { setTimeout as sleep } from "node:timers/promises";
import { textForm } from "./bodies.js";
import { request, routes } from "./cases.js";
import { exchange } from "./raw-http.js";
import type { World } from "./world.js";

/** Pause between the bystander's requests. */
const PAUSE_MS = 100;
/** Every this many requests the bystander talks (a text interact) instead of listing its conversations. */
const INTERACT_EVERY = 4;
const DEADLINE_MS = 15_000;

export interface BystanderReport {
  requests: number;
  worstMs: number;
  worstRequest: string;
  /** Latency (ms) under which 99% of the requests were answered. */
  p99Ms: number;
  failures: string[];
}

/**
 * A well-behaved client with its own user and conversation, busy for the whole run: it lists its
 * conversations and now and then sends a message, each on a new connection (so a stalled accept loop
 * shows too), and records how long each answer took.
 */
export class Bystander {
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly latenciesMs: number[] = [];
  private worst = { ms: 0, request: "" };
  private readonly failures: string[] = [];

  constructor(
    private readonly world: World,
    private readonly canSend: () => Promise<boolean>,
  ) {}

  start(): void {
    this.running = (async () => {
      for (let i = 1; !this.stopped; i += 1) {
        if (!(await this.canSend())) {
          await sleep(PAUSE_MS);
          continue;
        }
        const actor = this.world.bystander;
        const interact = i % INTERACT_EVERY === 0;
        const label = interact ? "text interact" : "conversation list";
        const response = await exchange(
          this.world.port,
          interact
            ? request(routes.interactText(this.world, actor.conversationId), {
                token: actor.token,
                contentType: "multipart/form-data; boundary=bystander",
                body: textForm("bystander", "I would like an appointment"),
                deadlineMs: DEADLINE_MS,
              })
            : request(`/v1/${this.world.orgId}/conversation/?limit=5`, {
                token: actor.token,
                deadlineMs: DEADLINE_MS,
              }),
        );
        this.latenciesMs.push(response.durationMs);
        if (response.durationMs > this.worst.ms) this.worst = { ms: response.durationMs, request: label };
        if (response.status !== 200 || response.end !== "complete") {
          this.failures.push(
            `${label}: ${response.status ?? response.end} after ${Math.round(response.durationMs)} ms`,
          );
        } else if (interact && this.world.acknowledge(response.body).completed === true) {
          await this.world.renew(actor).catch((error: unknown) => {
            this.failures.push(
              `a new conversation: ${error instanceof Error ? error.message : String(error)}`,
            );
          });
        }
        await sleep(PAUSE_MS);
      }
    })();
  }

  async stop(): Promise<BystanderReport> {
    this.stopped = true;
    await this.running;
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    return {
      requests: sorted.length,
      worstMs: Math.round(this.worst.ms),
      worstRequest: this.worst.request,
      p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
      failures: this.failures,
    };
  }
}
