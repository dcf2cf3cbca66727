import WebSocket from "ws";

export type ServerMessage = { type: string; seq: number; [field: string]: unknown };

/** A real-time client for tests: records every server message and waits for the ones asked for. */
export class RealtimeClient {
  readonly messages: ServerMessage[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private waiters: { test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString("utf8")) as ServerMessage;
      this.messages.push(message);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(message)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async connect(
    baseUrl: string,
    orgId: string,
    token: string | undefined,
    query = "",
  ): Promise<RealtimeClient> {
    const url = `${baseUrl.replace(/^http/, "ws")}/v1/${orgId}/conversation/converse_realtime${query === "" ? "" : `?${query}`}`;
    const socket = new WebSocket(url, token === undefined ? [] : [`bearer.authorization.amigo.ai.${token}`]);
    const client = new RealtimeClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return client;
  }

  send(message: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The first message (already received or coming) that passes `test`; fails after `timeoutMs`. */
  waitFor(test: (m: ServerMessage) => boolean, what: string, timeoutMs = 20_000): Promise<ServerMessage> {
    const seen = this.messages.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** The next message of `type` after the ones already seen. */
  next(type: string, timeoutMs = 20_000): Promise<ServerMessage> {
    const after = this.messages.length;
    return this.waitFor((m) => m.type === type && this.messages.indexOf(m) >= after, type, timeoutMs);
  }

  ofType(type: string): ServerMessage[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** Streams 16 kHz PCM16 as binary frames of `chunkMs`, at real-time pace times `speed` (0 = at once). */
  async stream(samples: Int16Array, options: { chunkMs?: number; speed?: number } = {}): Promise<void> {
    const chunkSamples = Math.round(16 * (options.chunkMs ?? 20));
    const speed = options.speed ?? 1;
    const startedAt = performance.now();
    for (let offset = 0; offset < samples.length; offset += chunkSamples) {
      const chunk = samples.subarray(offset, offset + chunkSamples);
      this.socket.send(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (speed > 0) {
        const dueMs = (offset + chunk.length) / 16 / speed;
        const waitMs = dueMs - (performance.now() - startedAt);
        if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  close(): void {
    this.socket.close();
  }
}
