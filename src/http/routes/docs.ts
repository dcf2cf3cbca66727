import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** Options of {@link docsRoutes}. */
export interface DocsRoutesOptions {
  /** The protocol document to serve. Default: `docs/realtime.md` at the repository root. */
  realtimeDocPath?: string;
}

/**
 * `docs/realtime.md` at the repository root, from the URL of a module of this repository: the module runs
 * from `src/http/routes/` (tsx) or from the compiled `dist/src/http/routes/`, and `docs/` is not copied
 * into `dist/`, so the root is three folders up, or four when the third is `dist`.
 */
export function realtimeDocPathFor(moduleUrl: string): string {
  const threeUp = fileURLToPath(new URL("../../../", moduleUrl));
  const root = path.basename(threeUp) === "dist" ? path.dirname(threeUp) : threeUp;
  return path.join(root, "docs", "realtime.md");
}

/**
 * `GET /docs/realtime`: the real-time WebSocket protocol document as `text/markdown`. The file is read
 * once, when the routes are registered; without it the route answers 404 (`{ detail }`, as the API does).
 */
export async function docsRoutes(app: FastifyInstance, options: DocsRoutesOptions = {}): Promise<void> {
  const file = options.realtimeDocPath ?? realtimeDocPathFor(import.meta.url);
  let markdown: string | undefined;
  try {
    markdown = await readFile(file, "utf8");
  } catch (error) {
    // A missing document is a deployment without docs/; any other failure is a fault worth stopping for.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    markdown = undefined;
  }
  app.get("/docs/realtime", async (_request, reply) => {
    if (markdown === undefined) {
      return reply.code(404).send({ detail: "The real-time protocol document is not installed" });
    }
    return reply.type("text/markdown; charset=utf-8").send(markdown);
  });
}
