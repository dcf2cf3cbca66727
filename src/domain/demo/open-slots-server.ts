import http from "node:http";
import type { AddressInfo } from "node:net";
import { type OpenSlotsRequest, openSlotsFor } from "./open-slots.js";

/** Largest request body the endpoint reads. */
const MAX_BODY_BYTES = 16 * 1024;

export interface OpenSlotsServer {
  /** `http://127.0.0.1:<port>/open-slots` */
  url: string;
  close(): Promise<void>;
}

/**
 * The demo's open-slots tool as a small HTTP endpoint on 127.0.0.1 (a free port): `POST /open-slots`
 * with `{ requested_time?, requested_date? }` answers `{ open_slot, other_slots }` after `delayMs` (so
 * that a slow tool, and its filler, can be heard in the demo). Other paths are 404, bad JSON is 400.
 */
export async function startOpenSlotsServer(options: { delayMs: number }): Promise<OpenSlotsServer> {
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method !== "POST" || request.url !== "/open-slots") {
      reply(404, { error: "not found" });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply(413, { error: "body too large" });
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("error", () => response.destroy());
    request.on("end", () => {
      let body: OpenSlotsRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as OpenSlotsRequest;
      } catch {
        reply(400, { error: "the body must be JSON" });
        return;
      }
      const answer = openSlotsFor(typeof body === "object" && body !== null ? body : {});
      const timer = setTimeout(() => {
        timers.delete(timer);
        reply(200, answer);
      }, options.delayMs);
      timers.add(timer);
      response.on("close", () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/open-slots`,
    close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
