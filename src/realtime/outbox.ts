import type { WebSocket } from "ws";

/** The session keeps its last messages for a resume: at most this many… */
export const RETAINED_MESSAGES = 1000;
/** …and at most this many bytes of them. */
export const RETAINED_BYTES = 2 * 1024 * 1024;

/**
 * The session's outgoing messages: each gets the next `seq` (1, 2, …) and goes to the socket as one JSON
 * text frame. Every server message of a session goes through `send`. The last messages are kept (bounded
 * by `RETAINED_MESSAGES` and `RETAINED_BYTES`, oldest dropped first) so that a resumed connection can be
 * sent what its predecessor missed; while no socket is attached, messages are only kept. Dropping a
 * message that no socket has been sent yet calls `onOverflow` (the session then ends: a resume could no
 * longer be complete).
 */
export class Outbox {
  private seq = 0;
  private readonly retained: { seq: number; text: string }[] = [];
  private retainedBytes = 0;
  /** The first `seq` given out while no socket was attached. */
  private firstUnsentSeq: number | undefined;

  constructor(
    private socket: WebSocket | undefined,
    private readonly onOverflow: () => void = () => undefined,
  ) {}

  /** The last `seq` given out. */
  get lastSeq(): number {
    return this.seq;
  }

  send(type: string, body: Record<string, unknown> = {}): void {
    this.seq += 1;
    const text = JSON.stringify({ ...body, type, seq: this.seq });
    this.retain(this.seq, text);
    if (this.socket === undefined) this.firstUnsentSeq ??= this.seq;
    else if (this.socket.readyState === this.socket.OPEN) this.socket.send(text);
  }

  /** No socket: messages are kept for a resume. */
  detach(): void {
    this.socket = undefined;
  }

  /**
   * Attaches `socket` and sends it every kept message after `lastSeq`. False (nothing sent, nothing
   * attached) when some of those messages are no longer kept.
   */
  resume(socket: WebSocket, lastSeq: number): { replayed: number } | undefined {
    const oldest = this.retained[0]?.seq ?? this.seq + 1;
    if (lastSeq + 1 < oldest) return undefined;
    this.socket = socket;
    this.firstUnsentSeq = undefined;
    const missed = this.retained.filter((m) => m.seq > lastSeq);
    for (const message of missed) socket.send(message.text);
    return { replayed: missed.length };
  }

  private retain(seq: number, text: string): void {
    this.retained.push({ seq, text });
    this.retainedBytes += text.length;
    while (this.retained.length > RETAINED_MESSAGES || this.retainedBytes > RETAINED_BYTES) {
      const dropped = this.retained.shift()!;
      this.retainedBytes -= dropped.text.length;
      if (this.firstUnsentSeq !== undefined && dropped.seq >= this.firstUnsentSeq) this.onOverflow();
    }
  }
}
