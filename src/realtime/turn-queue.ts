import { AppError } from "../lib/app-error.js";

/** An external event waiting for the next user turn. */
export type ExternalEvent = { text: string; timestamp: string };

/** At most this many user turns wait behind the running one; more get a non-fatal 429 and are dropped. */
export const MAX_WAITING_TURNS = 4;
/** At most this many external events wait for the next user message; more get a non-fatal 429. */
export const MAX_WAITING_EXTERNAL_EVENTS = 32;

/** What a rolled-back turn left for the next one: its user's words and its external events. */
export interface Carried {
  text: string;
  events: ExternalEvent[];
}

/**
 * The session's turns, one at a time in arrival order, with the bounds of docs/realtime.md ("Waiting
 * turns"): at most `MAX_WAITING_TURNS` wait behind the running one, at most
 * `MAX_WAITING_EXTERNAL_EVENTS` external events wait for a user turn. What a rolled-back turn carries goes
 * into the next turn that runs.
 */
export class TurnQueue {
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;
  private carried: Carried = { text: "", events: [] };
  private externalEvents: ExternalEvent[] = [];

  /** Resolves once every turn queued so far has ended (never rejects). */
  idle(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  /** True when one more turn may wait. */
  get hasRoom(): boolean {
    return this.waiting < MAX_WAITING_TURNS;
  }

  /** Keeps an external event for the next user turn (429 when too many wait). */
  addExternalEvent(text: string): void {
    if (this.externalEvents.length >= MAX_WAITING_EXTERNAL_EVENTS)
      throw new AppError("rate_limited", "Too many external events are waiting for a user message");
    this.externalEvents.push({ text, timestamp: new Date().toISOString() });
  }

  /** The external events waiting now, for the turn being queued. */
  takeExternalEvents(): ExternalEvent[] {
    const events = this.externalEvents;
    this.externalEvents = [];
    return events;
  }

  /** Runs `turn` now, before anything else is queued (the opening greeting). */
  runFirst(turn: Promise<void>): void {
    this.chain = turn;
  }

  /** Queues a turn: `run` starts when every earlier turn has ended, with what the last rollback left. */
  enqueue(run: (carried: Carried) => Promise<void>): void {
    this.waiting += 1;
    this.chain = this.chain
      .catch(() => undefined)
      .then(() => {
        this.waiting -= 1;
        const carried = this.carried;
        this.carried = { text: "", events: [] };
        return run(carried);
      });
  }

  /** A rolled-back turn's words and external events go into the next turn. */
  carry(text: string, events: ExternalEvent[]): void {
    this.carried = {
      text: joinWords(this.carried.text, text),
      events: [...this.carried.events, ...events],
    };
  }
}

/** The error for a user turn beyond `MAX_WAITING_TURNS`. */
export function tooManyTurns(): AppError {
  return new AppError(
    "rate_limited",
    `More than ${MAX_WAITING_TURNS} turns are waiting; this one was dropped`,
  );
}

/** Two pieces of the user's words, with one space between them when both have some. */
export function joinWords(first: string, second: string): string {
  return first === "" ? second : second === "" ? first : `${first} ${second}`;
}
