import { RealtimeClient, type ServerMessage } from "../../test/helpers/realtime-client.js";
import { Microphone } from "./microphone.js";

/** Where sessions connect: the server's base URL and the demo org and service. */
export interface Target {
  baseUrl: string;
  orgId: string;
  serviceId: string;
}

/** VAD settings the server reports in server.conversation-created. */
export interface VadEcho {
  silence_duration_ms: number;
  min_speech_ms: number;
}

interface Waiter {
  test: (m: ServerMessage) => boolean;
  resolve: (m: ServerMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One real-time conversation in VAD mode with a live microphone: the test client's socket, the arrival
 * time of every server message, and waits that fail on a server.error, a closed socket or a timeout.
 */
export class Line {
  readonly mic: Microphone;
  closeCode: number | undefined;
  vad: VadEcho | undefined;
  private readonly arrivals = new Map<ServerMessage, number>();
  private waiters: Waiter[] = [];

  private constructor(readonly client: RealtimeClient) {
    this.mic = new Microphone(client.socket);
    client.socket.on("message", (_data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      // The test client's listener ran first and recorded the message.
      const message = client.messages.at(-1)!;
      this.arrivals.set(message, performance.now());
      // Agent audio is not played: keep only its metadata.
      if (message.type === "server.new-message") delete message.message;
      for (const waiter of [...this.waiters]) {
        if (waiter.test(message)) this.settle(waiter, message);
        else if (message.type === "server.error")
          this.settle(waiter, new Error(`server.error: ${String(message.error_description)}`));
      }
    });
    client.socket.on("close", (code: number) => {
      this.closeCode = code;
      this.mic.stop();
      for (const waiter of [...this.waiters]) this.settle(waiter, new Error(`the socket closed (${code})`));
    });
  }

  /** Connects, starts a conversation in VAD mode, opens the microphone and waits out the greeting. */
  static async open(target: Target, token: string): Promise<Line> {
    const client = await RealtimeClient.connect(
      target.baseUrl,
      target.orgId,
      token,
      "response_format=voice&include_latency_report=true",
    );
    const line = new Line(client);
    try {
      client.send({ type: "client.start-conversation", service_id: target.serviceId, vad_mode: true });
      const created = await line.until((m) => m.type === "server.conversation-created", "start", 15_000);
      line.vad = created.vad as VadEcho;
      line.mic.start();
      await line.until((m) => m.type === "server.interaction-complete", "the greeting", 60_000);
      return line;
    } catch (error) {
      line.close();
      throw error;
    }
  }

  /** When `message` arrived (`performance.now()`). */
  arrivalOf(message: ServerMessage): number {
    return this.arrivals.get(message)!;
  }

  find(test: (m: ServerMessage) => boolean): ServerMessage | undefined {
    return this.client.messages.find(test);
  }

  /** The first message, already here or coming, that passes `test`. */
  until(test: (m: ServerMessage) => boolean, what: string, timeoutMs: number): Promise<ServerMessage> {
    const seen = this.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.closeCode !== undefined)
      return Promise.reject(new Error(`the socket closed (${this.closeCode})`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(waiter, new Error(`no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiter: Waiter = { test, resolve, reject, timer };
      this.waiters.push(waiter);
    });
  }

  /** The end of the reply `messageId`: its interaction-complete, or agent-interrupted when it was cut. */
  replyEnd(messageId: unknown, timeoutMs = 60_000): Promise<ServerMessage> {
    return this.until(
      (m) =>
        (m.type === "server.interaction-complete" || m.type === "server.agent-interrupted") &&
        m.message_id === messageId,
      "the end of the reply",
      timeoutMs,
    );
  }

  close(): void {
    this.mic.stop();
    this.client.close();
  }

  private settle(waiter: Waiter, outcome: ServerMessage | Error): void {
    clearTimeout(waiter.timer);
    this.waiters = this.waiters.filter((w) => w !== waiter);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }
}
