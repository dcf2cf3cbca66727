import type { SttEvent } from "../types.js";

/**
 * The events of one recognition session, from the worker's messages to the caller's loop. Bounded: a
 * partial the caller has not taken yet is replaced by a newer one, so at most one partial and the final
 * wait. A failure ends the iteration at once, ahead of anything still waiting.
 */
export class SessionEvents implements AsyncIterable<SttEvent> {
  private readonly pending: SttEvent[] = [];
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(event: SttEvent): void {
    if (this.failure !== undefined) return;
    const last = this.pending.at(-1);
    if (event.type === "partial" && last?.type === "partial") this.pending[this.pending.length - 1] = event;
    else this.pending.push(event);
    this.wakeUp();
  }

  /** Ends the iteration with `error`; the first failure wins. */
  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = { error };
    this.wakeUp();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SttEvent> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error;
      const event = this.pending.shift();
      if (event !== undefined) yield event;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
