import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { TurnEvent } from "../domain/turn-events.js";

const LATENCY_BUCKETS_SECONDS = [0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5, 10];

/** Prometheus metrics of the turns, fed by watching their events; one registry per server. */
export class TurnMetrics {
  readonly registry = new Registry();
  private readonly turns = new Counter({
    name: "parley_turns_total",
    help: "Interactions by transport and outcome (completed, failed, abandoned).",
    labelNames: ["transport", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly recognition = new Histogram({
    name: "parley_recognition_after_input_end_seconds",
    help: "From the last byte of a voice message to its final transcript.",
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  private readonly agent = new Histogram({
    name: "parley_agent_turn_seconds",
    help: "From the agent's start to its last reply text.",
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  private readonly firstAudio = new Histogram({
    name: "parley_first_audio_seconds",
    help: "From the user's turn end (last byte, or the text request) to the first reply audio piece.",
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** An observer for one turn; `startedAt` is `performance.now()` when the request arrived. */
  observer(transport: "http" | "websocket", startedAt: number): TurnObserver {
    let origin = startedAt;
    let agentStartedAt: number | undefined;
    let sawAudio = false;
    return {
      observe: (event) => {
        if (event.type === "user-message" && event.recognition !== undefined) {
          if (event.recognition.inputEndedAt > 0) origin = event.recognition.inputEndedAt;
          this.recognition.observe((event.recognition.transcriptAt - origin) / 1000);
        } else if (event.type === "stage" && event.stage === "agent-started") {
          agentStartedAt = event.atMs;
        } else if (event.type === "stage" && event.stage === "agent-done" && agentStartedAt !== undefined) {
          this.agent.observe((event.atMs - agentStartedAt) / 1000);
        } else if (event.type === "reply-audio" && !sawAudio) {
          sawAudio = true;
          this.firstAudio.observe((event.atMs - origin) / 1000);
        }
      },
      finish: (outcome) => this.turns.inc({ transport, outcome }),
    };
  }
}

export interface TurnObserver {
  observe(event: TurnEvent): void;
  finish(outcome: "completed" | "failed" | "abandoned"): void;
}
