/**
 * A bounded many-producer, one-consumer channel that is also an async iterable. `send` waits while
 * `capacity` items are unread (the overflow rule: producers are held back, nothing is dropped); `fail`
 * ends the iteration with an error and wakes every waiting producer with it; `close` ends it normally
 * once the items already sent are read.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly senders: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private reader: { resolve: (result: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new RangeError("a channel holds at least one item");
  }

  /** Sends an item, waiting while the channel is full. Rejects once the channel has failed or closed. */
  async send(item: T): Promise<void> {
    for (;;) {
      if (this.failure !== undefined) throw asError(this.failure.error);
      if (this.closed) throw new Error("the channel is closed");
      if (this.reader !== undefined) {
        const { resolve } = this.reader;
        this.reader = undefined;
        resolve({ value: item, done: false });
        return;
      }
      if (this.items.length < this.capacity) {
        this.items.push(item);
        return;
      }
      await new Promise<void>((resolve, reject) => this.senders.push({ resolve, reject }));
    }
  }

  fail(error: unknown): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = { error };
    this.items.length = 0;
    for (const sender of this.senders.splice(0)) sender.reject(error);
    const reader = this.reader;
    this.reader = undefined;
    reader?.reject(error);
  }

  close(): void {
    if (this.failure !== undefined || this.closed) return;
    this.closed = true;
    for (const sender of this.senders.splice(0)) sender.reject(new Error("the channel is closed"));
    const reader = this.reader;
    this.reader = undefined;
    reader?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) {
          this.senders.shift()?.resolve();
          return Promise.resolve({ value: item, done: false });
        }
        if (this.failure !== undefined) return Promise.reject(asError(this.failure.error));
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.reader = { resolve, reject }));
      },
      return: () => {
        this.fail(new DOMException("The reader stopped", "AbortError"));
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
