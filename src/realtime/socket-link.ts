import type { WebSocket } from "ws";

/** The server pings an attached socket this often; two pings without a pong terminate it. */
const PING_INTERVAL_MS = 20_000;

export interface SocketHandlers {
  message: (data: Buffer, isBinary: boolean) => void;
  close: (code: number) => void;
  error: (error: Error) => void;
}

/**
 * Listens to `socket` (messages, close, errors, pongs) and pings it every PING_INTERVAL_MS; when two
 * pings went unanswered the socket is terminated (its `close` follows). Returns the function that lets
 * go of the socket, its listeners and its ping timer, without closing it (a resume hands it on); calling
 * it again does nothing more.
 */
export function linkSocket(socket: WebSocket, handlers: SocketHandlers): () => void {
  let missedPongs = 0;
  const onPong = () => (missedPongs = 0);
  socket.on("message", handlers.message);
  socket.on("close", handlers.close);
  socket.on("error", handlers.error);
  socket.on("pong", onPong);
  const pingTimer = setInterval(() => {
    if (missedPongs >= 2) {
      socket.terminate();
      return;
    }
    missedPongs += 1;
    socket.ping();
  }, PING_INTERVAL_MS);
  return () => {
    clearInterval(pingTimer);
    socket.off("message", handlers.message);
    socket.off("close", handlers.close);
    socket.off("error", handlers.error);
    socket.off("pong", onPong);
  };
}
