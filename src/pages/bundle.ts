// Bundles page folders with Bun's bundler (docs/pages.md#bundling): each folder's index.html and
// what it references, minified for the browser, assets named by content hash, a gzip copy beside
// each file. `npm run build` embeds the result in the executable; a server run from source calls
// this on the first page request. Same sources, same bytes.
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ASSET_PREFIX } from "./registry.ts";

/** Each page's JS + CSS, as sent gzipped, must stay under this (a phone on poor Wi-Fi). */
export const PAGE_BUDGET_BYTES = 60 * 1024;

/** One URL's bytes: as is, and gzipped when that is smaller. */
export interface Served {
  type: string;
  /** Strong ETag of `body`, quoted. */
  etag: string;
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer> | null;
}

export interface BuiltPage {
  dir: string;
  html: Served;
  /** Names under /assets/ this page's HTML references. */
  assets: string[];
  /** Its JavaScript and CSS as sent to a browser that accepts gzip (bytes): the budget's measure. */
  weight: number;
}

export interface Bundle {
  /** By the registry's `dir`. */
  pages: Map<string, BuiltPage>;
  /** By file name under /assets/. */
  assets: Map<string, Served>;
}

export const PAGES_DIR = import.meta.dir;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff2: "font/woff2",
  woff: "font/woff",
  json: "application/json",
  webmanifest: "application/manifest+json",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  txt: "text/plain; charset=utf-8",
};

export const contentType = (name: string) => TYPES[name.slice(name.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream";

/** Quoted, strong: the first 128 bits of the SHA-256 of the bytes, base64url. */
export function etagOf(bytes: Uint8Array<ArrayBuffer>): string {
  return `"${new Bun.CryptoHasher("sha256").update(bytes).digest("base64url").slice(0, 22)}"`;
}

export function served(name: string, body: Uint8Array<ArrayBuffer>): Served {
  // Level 9 and no timestamp in the header (Bun writes 0): the same input gives the same bytes.
  const gz = Bun.gzipSync(body, { level: 9 });
  return { type: contentType(name), etag: etagOf(body), body, gzip: gz.length < body.length ? gz : null };
}

export const folderOf = (dir: string) => (isAbsolute(dir) ? dir : join(PAGES_DIR, dir));

/**
 * Browser code is every folder under src/pages/ (and test pages outside src/). Anything else of
 * src/ is server code, which must never end up in a browser bundle.
 */
function serverFile(path: string): boolean {
  const rel = relative(resolve(PAGES_DIR, ".."), path);
  if (rel.startsWith("..") || isAbsolute(rel)) return false;
  const parts = rel.split(sep);
  return !(parts[0] === "pages" && parts.length > 2);
}

/** No CDN: the HTML and CSS may reference nothing outside this server. */
function externalRefs(text: string, kind: "html" | "css"): string[] {
  const re = kind === "html" ? /\b(?:src|href)\s*=\s*["']?((?:https?:)?\/\/[^"'\s>]+)/gi : /(?:url\(\s*["']?|@import\s+["'])((?:https?:)?\/\/[^"')\s]+)/gi;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

async function bundleOne(dir: string): Promise<{ html: Uint8Array<ArrayBuffer>; files: Map<string, Uint8Array<ArrayBuffer>> }> {
  const folder = folderOf(dir);
  const name = basename(folder);
  const r = await Bun.build({
    entrypoints: [join(folder, "index.html")],
    target: "browser",
    format: "esm",
    minify: true,
    splitting: false,
    sourcemap: "none",
    publicPath: ASSET_PREFIX,
    // The page's own script and stylesheet carry its name; images and fonts keep theirs.
    naming: { entry: "[name].[ext]", chunk: `${name}-[hash].[ext]`, asset: "[name]-[hash].[ext]" },
    metafile: true,
    throw: false,
  });
  if (!r.success) throw new Error(`page ${dir}: bundling failed:\n${r.logs.map(String).join("\n")}`);
  const inputs = Object.keys(r.metafile?.inputs ?? {}).map((p) => resolve(p));
  const leaked = inputs.filter(serverFile);
  if (leaked.length) throw new Error(`page ${dir}: browser code imports server code: ${leaked.map((p) => relative(process.cwd(), p)).join(", ")}`);
  let html: Uint8Array<ArrayBuffer> | null = null;
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const o of r.outputs) {
    const file = basename(o.path);
    const bytes = new Uint8Array(await o.arrayBuffer());
    if (file.endsWith(".html")) html = bytes;
    else files.set(file, bytes);
    if (file.endsWith(".html") || file.endsWith(".css")) {
      const ext = externalRefs(new TextDecoder().decode(bytes), file.endsWith(".html") ? "html" : "css");
      if (ext.length) throw new Error(`page ${dir}: ${file} loads from outside the server (${ext.join(", ")}); bundle it instead`);
    }
  }
  if (!html) throw new Error(`page ${dir}: no HTML in the bundle output`);
  return { html, files };
}

/** Bundle these page folders (the registry's `dir` and `operatorDir` values). */
export async function bundlePages(dirs: string[]): Promise<Bundle> {
  const bundle: Bundle = { pages: new Map(), assets: new Map() };
  // One at a time: two cores, and the order then never depends on timing.
  for (const dir of [...new Set(dirs)]) {
    const { html, files } = await bundleOne(dir);
    const page: BuiltPage = { dir, html: served("index.html", html), assets: [...files.keys()].sort(), weight: 0 };
    for (const [file, bytes] of files) {
      const known = bundle.assets.get(file);
      if (known && etagOf(bytes) !== known.etag) throw new Error(`page ${dir}: asset ${file} differs from another page's file of the same name`);
      const s = known ?? served(file, bytes);
      bundle.assets.set(file, s);
      if (file.endsWith(".js") || file.endsWith(".css")) page.weight += (s.gzip ?? s.body).length;
    }
    bundle.pages.set(dir, page);
  }
  return bundle;
}

/** The folders a registry needs bundled. */
export const dirsOf = (registry: { dir: string; operatorDir?: string }[]) => [...new Set(registry.flatMap((p) => (p.operatorDir ? [p.dir, p.operatorDir] : [p.dir])))];
