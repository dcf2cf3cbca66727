import { EventEmitter } from "node:events";
import type { WebSocket } from "ws";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { linkSocket } from "./socket-link.js";

/** The part of a `ws` socket that linkSocket uses. */
class FakeSocket extends EventEmitter {
  pings = 0;
  terminated = false;
  ping(): void {
    this.pings += 1;
  }
  terminate(): void {
    this.terminated = true;
  }
}

function linked() {
  const socket = new FakeSocket();
  const received: string[] = [];
  const release = linkSocket(socket as unknown as WebSocket, {
    message: (data) => received.push(data.toString()),
    close: (code) => received.push(`close ${code}`),
    error: (error) => received.push(`error ${error.message}`),
  });
  return { socket, received, release };
}

describe("linkSocket", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("passes on messages, closes and errors", () => {
    const { socket, received } = linked();
    socket.emit("message", Buffer.from("hello"), false);
    socket.emit("error", new Error("reset"));
    socket.emit("close", 1006);
    expect(received).toEqual(["hello", "error reset", "close 1006"]);
  });

  it("pings every 20 s and terminates the socket after two pings without a pong", () => {
    const { socket } = linked();
    vi.advanceTimersByTime(20_000);
    expect(socket.pings).toBe(1);
    socket.emit("pong");
    vi.advanceTimersByTime(40_000);
    expect(socket.pings).toBe(3);
    expect(socket.terminated).toBe(false);
    vi.advanceTimersByTime(20_000);
    expect(socket.terminated).toBe(true);
  });

  it("lets go of the socket without closing it", () => {
    const { socket, received, release } = linked();
    release();
    socket.emit("message", Buffer.from("late"), false);
    vi.advanceTimersByTime(100_000);
    expect(received).toEqual([]);
    expect(socket.pings).toBe(0);
    expect(socket.terminated).toBe(false);
    expect(socket.listenerCount("pong")).toBe(0);
  });
});
