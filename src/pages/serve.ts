// Serves the built-in pages, their assets and /api/info on the one port (docs/pages.md#serving).
// Nothing is bundled or read before the first page request, so a server nobody browses starts
// as fast and stays as small as one without pages.
import type { AnyElysia } from "elysia";
import type { Server } from "bun";
import pkg from "../../package.json" with { type: "json" };
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Bundle, Served } from "./bundle.ts";
import { hasEmbeddedPages, loadEmbeddedPages } from "./embedded.ts";
import { info } from "./info.ts";
import { ASSET_PREFIX, pages as defaultRegistry, type PageEntry } from "./registry.ts";

export interface PagesOptions {
  config: Config;
  log: Logger;
  /** Default: src/pages/registry.ts (embedded in the executable); tests pass their own. */
  registry?: PageEntry[];
  /** The request-level operator decision; picks an entry's operatorDir. Default: nobody is. */
  isOperator?: (request: Request) => boolean;
}

export interface Pages {
  readonly registry: PageEntry[];
  /** GET routes for every page not already routed, the assets and /api/info. */
  routes(app: AnyElysia): AnyElysia;
  /**
   * For a protocol route that shares its path with a page (/metronome): the page's answer to a
   * request that is not a WebSocket upgrade, or null (an upgrade, or no page at that path) so the
   * protocol answers as before.
   */
  serve(request: Request, path: string): Promise<Response> | null;
}

const HTML_CACHE = "no-cache";
const ASSET_CACHE = "public, max-age=31536000, immutable";
// Scripts only from this server: no CDN, no inline or injected script (docs/pages.md#serving).
const CSP = "script-src 'self'; object-src 'none'; base-uri 'self'";

/** Bundles by registry, shared by every server in the process (tests boot many). */
const bundles = new Map<string, Promise<Bundle>>();

export const isUpgrade = (request: Request) => request.headers.get("upgrade")?.toLowerCase() === "websocket";

export function acceptsGzip(request: Request): boolean {
  for (const part of (request.headers.get("accept-encoding") ?? "").split(",")) {
    const [coding = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) {
      if (coding === "*") continue;
      return false;
    }
    return true;
  }
  return false;
}

const gzipTag = (etag: string) => etag.slice(0, -1) + '-gzip"';

function notModified(request: Request, tags: string[]): boolean {
  const inm = request.headers.get("if-none-match");
  if (!inm) return false;
  if (inm.trim() === "*") return true;
  return inm.split(",").some((t) => tags.includes(t.trim().replace(/^W\//, "")));
}

function respond(request: Request, s: Served, headers: Record<string, string>, vary: string[] = []): Response {
  const gzip = s.gzip !== null && acceptsGzip(request);
  const etag = gzip ? gzipTag(s.etag) : s.etag;
  const h: Record<string, string> = { ...headers, etag };
  const varies = s.gzip ? [...vary, "Accept-Encoding"] : vary;
  if (varies.length) h.vary = varies.join(", ");
  if (notModified(request, [s.etag, gzipTag(s.etag)])) return new Response(null, { status: 304, headers: h });
  h["content-type"] = s.type;
  h["x-content-type-options"] = "nosniff";
  if (gzip) h["content-encoding"] = "gzip";
  // For HEAD, Bun sends these headers and the body's length, without the body.
  return new Response(gzip ? s.gzip : s.body, { headers: h });
}

const text = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

export function createPages(opts: PagesOptions): Pages {
  const registry = opts.registry ?? defaultRegistry;
  const isOperator = opts.isOperator ?? (() => false);
  const byPath = new Map(registry.map((p) => [p.path, p]));
  const key = JSON.stringify(registry.map((p) => [p.dir, p.operatorDir ?? null]));

  const bundle = (): Promise<Bundle> => {
    let b = bundles.get(key);
    if (!b) {
      b = (async () => {
        // The executable carries the default registry's pages; a run from source bundles them now.
        if (registry === defaultRegistry && hasEmbeddedPages()) return loadEmbeddedPages();
        const t0 = performance.now();
        const { bundlePages, dirsOf } = await import("./bundle.ts");
        const built = await bundlePages(dirsOf(registry));
        opts.log.info("pages bundled", { pages: built.pages.size, ms: Math.round(performance.now() - t0) });
        return built;
      })();
      bundles.set(key, b);
      // A page with an error (while editing it) is retried on the next request.
      b.catch(() => bundles.delete(key));
    }
    return b;
  };

  const withBundle = async (fn: (b: Bundle) => Response): Promise<Response> => {
    let b: Bundle;
    try {
      b = await bundle();
    } catch (err) {
      opts.log.error("pages could not be bundled", { err: err as Error });
      return text(500, `pages could not be bundled: ${(err as Error).message}`);
    }
    return fn(b);
  };

  const page = (request: Request, entry: PageEntry) =>
    withBundle((b) => {
      const dir = entry.operatorDir && isOperator(request) ? entry.operatorDir : entry.dir;
      const built = b.pages.get(dir);
      if (!built) return text(500, `page ${dir} is not in the bundle`);
      // A page with an operator variant must not be cached across the two audiences.
      const vary = entry.operatorDir ? ["Cookie", "Authorization"] : [];
      const cache = entry.operatorDir ? `${HTML_CACHE}, private` : HTML_CACHE;
      return respond(request, built.html, { "cache-control": cache, "content-security-policy": CSP }, vary);
    });

  const asset = (request: Request, name: string) =>
    withBundle((b) => {
      const s = b.assets.get(name);
      return s ? respond(request, s, { "cache-control": ASSET_CACHE }) : text(404, "NOT_FOUND");
    });

  return {
    registry,
    serve: (request, path) => {
      const entry = byPath.get(path);
      return entry && !isUpgrade(request) ? page(request, entry) : null;
    },
    routes(app) {
      // A protocol that owns a page's path (/metronome) routes it itself and calls serve().
      const taken = new Set(app.routes.filter((r) => r.method === "GET").map((r) => r.path));
      for (const entry of registry) if (!taken.has(entry.path)) app = app.get(entry.path, ({ request }) => page(request, entry)) as AnyElysia;
      app = app.get(`${ASSET_PREFIX}:name`, ({ request, params }) => asset(request, params.name)) as AnyElysia;
      return app
        .get("/api/info", async ({ server, request }) => {
          const s = server as Server<unknown> | null;
          // node:os is loaded on the first request, not at start. The interfaces are read per
          // request: a laptop that changes networks gets its new address without a restart.
          const { networkInterfaces } = await import("node:os");
          const body = info({
            host: opts.config.host,
            port: s?.port ?? opts.config.port,
            scheme: s?.url.protocol === "https:" ? "https" : "http",
            version: pkg.version,
            registry,
            ifaces: networkInterfaces(),
            operator: isOperator(request),
          });
          return new Response(JSON.stringify(body), { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
        }) as AnyElysia;
    },
  };
}
