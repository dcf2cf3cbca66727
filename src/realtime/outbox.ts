import type { WebSocket } from "ws";

/**
 * The session's outgoing messages: each gets the next `seq` (1, 2, …) and goes to the socket as one JSON
 * text frame. Every server message of a session goes through `send`.
 */
export class Outbox {
  private seq = 0;

  constructor(private socket: WebSocket) {}

  /** The last `seq` given out. */
  get lastSeq(): number {
    return this.seq;
  }

  send(type: string, body: Record<string, unknown> = {}): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.seq += 1;
    this.socket.send(JSON.stringify({ ...body, type, seq: this.seq }));
  }
}
