/**
 * A point a test agent's turn waits at until the test lets it go: `hold(signal)` waits until `release()`
 * or the signal's abort (then it rejects with the abort's reason, also when the signal was aborted before
 * the wait began); `whenHeld()` resolves once a turn waits there (at once if one waits now).
 */
export interface HeldGate {
  hold(signal: AbortSignal): Promise<void>;
  /** Lets the waiting turn go on; does nothing while none waits. */
  release(): void;
  whenHeld(): Promise<void>;
}

/** A gate with no turn waiting at it. */
export function heldGate(): HeldGate {
  let releaseHeld: (() => void) | undefined;
  let heldWaiters: (() => void)[] = [];
  return {
    hold: (signal) =>
      new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          releaseHeld = undefined;
          reject(signal.reason as Error);
        };
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener("abort", onAbort, { once: true });
        releaseHeld = () => {
          releaseHeld = undefined;
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        const waiters = heldWaiters;
        heldWaiters = [];
        for (const waiter of waiters) waiter();
      }),
    release() {
      releaseHeld?.();
    },
    whenHeld() {
      if (releaseHeld !== undefined) return Promise.resolve();
      return new Promise<void>((resolve) => heldWaiters.push(resolve));
    },
  };
}
