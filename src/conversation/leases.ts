import { AppError } from "../lib/app-error.js";

/** A held claim; `release` is idempotent. */
export interface Lease {
  release(): void;
}

/**
 * Claims that let one interaction at a time run on a conversation. The in-memory kind serves one
 * process; a PostgreSQL kind (row lock or advisory lock with expiry) can implement the same interface.
 */
export interface ConversationLeases {
  /**
   * Claims `key` until `release()` or until `until` aborts, whichever comes first, so that a claim can
   * never outlive the request that took it. 409 while another holds it.
   */
  acquire(key: string, until: AbortSignal): Lease;
  isHeld(key: string): boolean;
}

export class InMemoryLeases implements ConversationLeases {
  private readonly held = new Set<string>();

  acquire(key: string, until: AbortSignal): Lease {
    if (this.held.has(key)) {
      throw new AppError("conflict", "Another interaction on this conversation is in progress");
    }
    this.held.add(key);
    return releaseWith(until, () => this.held.delete(key));
  }

  isHeld(key: string): boolean {
    return this.held.has(key);
  }
}

/** A lease whose `release` runs once, also when `until` aborts. */
export function releaseWith(until: AbortSignal, release: () => void): Lease {
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    until.removeEventListener("abort", once);
    release();
  };
  until.addEventListener("abort", once, { once: true });
  if (until.aborted) once();
  return { release: once };
}
