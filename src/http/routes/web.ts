import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../../config/config.js";
import { DEMO_ORGANIZATION_ID } from "../../store/seed-demo.js";
import type { Store } from "../../store/types.js";

/** Options of {@link webRoutes}. */
export interface WebRoutesOptions {
  /** The built page (`npm run build` writes it). Default: `web/dist` at the repository root. */
  distDir?: string;
}

/** The files of the built page the server hands out, with their content types. */
const WEB_FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.js.map": "application/json; charset=utf-8",
  "capture-worklet.js": "text/javascript; charset=utf-8",
  "capture-worklet.js.map": "application/json; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/**
 * Same-origin only: scripts, styles and the capture worklet from this server, the real-time socket on
 * this host, recordings replayed from blob URLs.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * `web/dist` at the repository root, from the URL of a module of this repository: the module runs from
 * `src/http/routes/` (tsx) or from the compiled `dist/src/http/routes/`.
 */
export function webDistDirFor(moduleUrl: string): string {
  const threeUp = fileURLToPath(new URL("../../../", moduleUrl));
  const root = path.basename(threeUp) === "dist" ? path.dirname(threeUp) : threeUp;
  return path.join(root, "web", "dist");
}

/** Whether a host name or address is this machine's loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(bare) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/.test(bare)
  );
}

/** The host name of a `Host` header (`[::1]:8080` → `::1`). */
function hostNameOf(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined) return undefined;
  const match = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(hostHeader.trim());
  return match?.[1];
}

/**
 * Whether a request may come from a page of another site: browsers say so in `Sec-Fetch-Site` and
 * `Origin`. (Without CORS headers such a page cannot read the answer anyway; this refuses it outright.)
 */
function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

async function readCredentials(file: string): Promise<Record<string, string> | undefined> {
  try {
    const text = await readFile(file, "utf8");
    const entries = text
      .split("\n")
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, match[2]!] as const);
    return Object.fromEntries(entries);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The web page: `GET /` and its files under `/web/`, plus `GET /web/demo-settings`, which hands the page
 * the demo credentials of `data/credentials.env` so a newcomer only has to press "Sign in". It does so
 * only when the server listens on loopback, the request comes from loopback, names a loopback host (a
 * page of another site reached through DNS rebinding names its own host) and is not a cross-site request,
 * and the demo organization exists; otherwise it answers `{ "available": false }`. (200 either way: the page asks on every load,
 * and a failed request would be a console error.)
 */
export function webRoutes(deps: { config: Config; store: Store }, options: WebRoutesOptions = {}) {
  const distDir = options.distDir ?? webDistDirFor(import.meta.url);
  const cache = new Map<string, Buffer>();

  const sendFile = async (name: string, reply: FastifyReply) => {
    let body = cache.get(name);
    if (body === undefined) {
      try {
        body = await readFile(path.join(distDir, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        return reply
          .code(404)
          .type("text/plain; charset=utf-8")
          .send("The web page is not built: run `npm run build`, then reload.");
      }
      cache.set(name, body);
    }
    return reply
      .type(WEB_FILES[name]!)
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("cache-control", "no-cache")
      .send(body);
  };

  const demoSettings = async (request: FastifyRequest) => {
    const unavailable = { available: false };
    if (
      !isLoopback(deps.config.host) ||
      !isLoopback(request.socket.remoteAddress) ||
      !isLoopback(hostNameOf(request.headers.host)) ||
      !sameOrigin(request)
    ) {
      return unavailable;
    }
    const credentials = await readCredentials(path.join(deps.config.dataDir, "credentials.env"));
    if (credentials?.AMIGO_ORGANIZATION_ID !== DEMO_ORGANIZATION_ID) return unavailable;
    if ((await deps.store.getOrganization(DEMO_ORGANIZATION_ID)) === undefined) return unavailable;
    return {
      available: true,
      organization_id: credentials.AMIGO_ORGANIZATION_ID,
      user_id: credentials.AMIGO_USER_ID ?? "",
      api_key_id: credentials.AMIGO_API_KEY_ID ?? "",
      api_key: credentials.AMIGO_API_KEY ?? "",
      service_id: credentials.AMIGO_SERVICE_ID ?? "",
    };
  };

  return async (app: FastifyInstance): Promise<void> => {
    app.get("/", async (_request, reply) => sendFile("index.html", reply));
    app.get("/web/demo-settings", async (request, reply) => {
      const settings = await demoSettings(request);
      return reply.header("cache-control", "no-store").send(settings);
    });
    app.get<{ Params: { file: string } }>("/web/:file", async (request, reply) => {
      const name = request.params.file;
      if (!Object.hasOwn(WEB_FILES, name) || name === "index.html") {
        return reply.code(404).send({ detail: "Not found" });
      }
      return sendFile(name, reply);
    });
  };
}
