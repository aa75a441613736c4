// Serving the pages over HTTP (docs/pages.md#serving): content types, cache headers, gzip,
// ETag/304, HEAD, 404, the /metronome page beside its WebSocket, the operator variant of a page,
// and bundling on first request in a server run from source.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Elysia } from "elysia";
import { defaults } from "../../../src/config.ts";
import { createLogger } from "../../../src/log.ts";
import { pages as defaultPages, type PageEntry } from "../../../src/pages/registry.ts";
import { createPages } from "../../../src/pages/serve.ts";
import { bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

const probe = join(import.meta.dir, "..", "..", "fixtures", "probe");
const OPEN_FRAME = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';

/** Bun's fetch asks for gzip and unpacks it; these tests look at the bytes on the wire. */
const get = (url: string, headers: Record<string, string> = {}, method = "GET") =>
  fetch(url, { method, headers: { "accept-encoding": "identity", ...headers }, decompress: false });

const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);

let srv: TestServer;
beforeAll(async () => {
  // The start page of the real registry, and a probe page on the metronome's path.
  const start = defaultPages.filter((p) => p.path === "/");
  srv = await bootServer({}, { pages: [...start, { path: "/metronome", dir: probe, title: "Probe at /metronome", summary: "A page on a WebSocket path." }] });
});
afterAll(() => srv.stop());

describe("the start page and its assets", () => {
  test("HTML: content type, no-cache with an ETag, a script policy, nosniff", async () => {
    const r = await get(srv.http + "/");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("no-cache");
    expect(r.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(r.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("content-encoding")).toBeNull();
    const html = await r.text();
    expect(html).toStartWith("<!doctype html>");
    expect(assetsOf(html).length).toBeGreaterThanOrEqual(2);
  });

  test("every asset the HTML names: its content type, cached for a year as immutable, gzip on request", async () => {
    const html = await (await get(srv.http + "/")).text();
    const types: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", svg: "image/svg+xml" };
    const assets = assetsOf(html);
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    for (const a of assets) {
      // Named by content hash: the name changes whenever the bytes do.
      expect(a).toMatch(/^\/assets\/[a-z0-9_]+-[a-z0-9]{8,}\.[a-z0-9]+$/);
      const plain = await get(srv.http + a);
      expect(plain.status).toBe(200);
      expect(plain.headers.get("content-type")).toBe(types[a.split(".").pop()!]!);
      expect(plain.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const body = new Uint8Array(await plain.arrayBuffer());
      const zipped = await get(srv.http + a, { "accept-encoding": "gzip, deflate, br" });
      if (zipped.headers.get("content-encoding") === "gzip") {
        expect(zipped.headers.get("vary")).toBe("Accept-Encoding");
        const wire = new Uint8Array(await zipped.arrayBuffer());
        expect(wire.length).toBeLessThan(body.length);
        expect(Bun.gunzipSync(wire)).toEqual(body);
      } else {
        expect(a.endsWith(".js") || a.endsWith(".css")).toBe(false); // scripts and styles always compress
      }
    }
  });

  test("gzip is negotiated: q=0 refuses it, * accepts it, and HTML compresses too", async () => {
    const identity = new Uint8Array(await (await get(srv.http + "/")).arrayBuffer());
    const gz = await get(srv.http + "/", { "accept-encoding": "gzip" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer()))).toEqual(identity);
    expect((await get(srv.http + "/", { "accept-encoding": "gzip;q=0, br" })).headers.get("content-encoding")).toBeNull();
    expect((await get(srv.http + "/", { "accept-encoding": "*" })).headers.get("content-encoding")).toBe("gzip");
  });

  test("If-None-Match with the ETag (either encoding's, weak or strong) → 304 without a body", async () => {
    const plain = await get(srv.http + "/");
    const zipped = await get(srv.http + "/", { "accept-encoding": "gzip" });
    const tags = [plain.headers.get("etag")!, zipped.headers.get("etag")!];
    expect(tags[0]).not.toBe(tags[1]); // two representations, two tags
    for (const tag of [...tags, `W/${tags[0]}`, `"other", ${tags[1]}`]) {
      const r = await get(srv.http + "/", { "if-none-match": tag });
      expect(r.status).toBe(304);
      expect(r.headers.get("cache-control")).toBe("no-cache");
      expect(await r.text()).toBe("");
    }
    expect((await get(srv.http + "/", { "if-none-match": '"something-else"' })).status).toBe(200);
    const asset = assetsOf(await plain.text())[0]!;
    const a = await get(srv.http + asset);
    expect((await get(srv.http + asset, { "if-none-match": a.headers.get("etag")! })).status).toBe(304);
  });

  test("HEAD: the same headers and length as GET, no body", async () => {
    for (const path of ["/", assetsOf(await (await get(srv.http + "/")).text())[0]!]) {
      const g = await get(srv.http + path);
      const body = await g.arrayBuffer();
      const h = await get(srv.http + path, {}, "HEAD");
      expect(h.status).toBe(200);
      expect(h.headers.get("content-type")).toBe(g.headers.get("content-type"));
      expect(h.headers.get("etag")).toBe(g.headers.get("etag"));
      expect(h.headers.get("content-length")).toBe(String(body.byteLength));
      expect((await h.arrayBuffer()).byteLength).toBe(0);
    }
  });

  test("unknown paths stay 404: a page's folder name, a missing asset, an asset path with a folder", async () => {
    for (const path of ["/start", "/nope", "/assets/nope-12345678.js", "/assets/", "/assets/a/b.js", "/api/nope", "/index.html"]) {
      expect({ path, status: (await get(srv.http + path)).status }).toEqual({ path, status: 404 });
    }
  });
});

describe("/metronome: the page for a browser, the protocol for a WebSocket", () => {
  test("a plain GET and a HEAD get the page registered there", async () => {
    const r = await get(srv.http + "/metronome");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await r.text()).toContain("Probe page");
    expect((await get(srv.http + "/metronome", {}, "HEAD")).status).toBe(200);
  });

  test("the WebSocket upgrade on /metronome is still the metronome protocol; /connect still refuses plain HTTP", async () => {
    const c = await TestClient.open(srv.ws("/metronome"));
    expect(await c.next()).toBe(OPEN_FRAME);
    c.close();
    expect((await get(srv.http + "/connect")).status).toBe(426);
  });

  test("without a page at /metronome, a plain GET gets 426 as before", async () => {
    const bare = await bootServer({}, { pages: defaultPages.filter((p) => p.path !== "/metronome") });
    try {
      expect((await get(bare.http + "/metronome")).status).toBe(426);
    } finally {
      await bare.stop();
    }
  });
});

describe("/api/info", () => {
  test("this server's base URL, port, scheme, listed pages and endpoints; no caching", async () => {
    const r = await fetch(srv.http + "/api/info");
    expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("no-store");
    const info = (await r.json()) as any;
    // --host 127.0.0.1 is a specific address: it is the URL, and only this machine can use it.
    expect(info).toMatchObject({ name: "Switchboard", scheme: "http", port: srv.port, url: srv.http, urls: [srv.http], lan: false });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.pages).toEqual([{ path: "/metronome", title: "Probe at /metronome", summary: "A page on a WebSocket path." }]);
    const paths = info.endpoints.map((e: any) => e.path);
    expect(paths).toEqual(["/connect", "/OpenSyncParty/ws", "/ws", "/socket.io/", "/mediator", "/healthz", "/metrics", "/api/info"]);
  });

  test("every endpoint it lists exists on this server, and its connection keys are /healthz's", async () => {
    const info = (await (await fetch(srv.http + "/api/info")).json()) as any;
    const health = (await (await fetch(srv.http + "/healthz")).json()) as any;
    for (const e of info.endpoints) {
      for (const path of [e.path, ...e.aliases]) expect({ path, found: (await get(srv.http + path)).status !== 404 }).toEqual({ path, found: true });
      if (e.connections) expect(Object.keys(health.connections)).toContain(e.connections);
    }
  });
});

describe("bundling on first request (a server run from source)", () => {
  test("start-up bundles nothing: a page folder that does not exist fails only its own requests, with 500, until it does", async () => {
    const dir = join(tempDir("switchboard-late-page-"), "late");
    const late = await bootServer({}, { pages: [{ path: "/", dir, title: "Late", summary: "" }] });
    try {
      expect((await fetch(late.http + "/healthz")).status).toBe(200);
      const r = await get(late.http + "/");
      expect(r.status).toBe(500);
      expect(await r.text()).toContain(dir);
      // A failed bundle is not kept: once the page exists, the next request bundles it.
      mkdirSync(dir);
      writeFileSync(join(dir, "index.html"), "<!doctype html><title>Late</title><p>here now</p>\n");
      const ok = await get(late.http + "/");
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("here now");
    } finally {
      await late.stop();
      rmSync(join(dir, ".."), { recursive: true, force: true });
    }
  });
});

describe("the operator variant of a page (the hook for the operator console on /)", () => {
  const dir = tempDir("switchboard-operator-page-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("operatorDir is served to requests isOperator accepts, the plain page to others, with Vary and private caching", async () => {
    const consoleDir = join(dir, "console");
    mkdirSync(consoleDir);
    writeFileSync(join(consoleDir, "index.html"), '<!doctype html><html><head><title>Console</title></head><body><h1>Operator console</h1></body></html>\n');
    const registry: PageEntry[] = [{ path: "/", dir: "start", operatorDir: consoleDir, title: "Start", summary: "", listed: false }];
    const pages = createPages({
      config: defaults(),
      log: createLogger({ level: "error", format: "text" }),
      registry,
      isOperator: (r) => r.headers.get("authorization") === "Bearer op",
    });
    const app = pages.routes(new Elysia());
    const visitor = await app.handle(new Request("http://localhost/", { headers: { "accept-encoding": "identity" } }));
    const operator = await app.handle(new Request("http://localhost/", { headers: { authorization: "Bearer op", "accept-encoding": "identity" } }));
    expect(await visitor.text()).toContain("<title>Switchboard</title>");
    expect(await operator.text()).toContain("Operator console");
    for (const r of [visitor, operator]) {
      expect(r.headers.get("vary")).toBe("Cookie, Authorization, Accept-Encoding");
      expect(r.headers.get("cache-control")).toBe("no-cache, private");
    }
  });
});
