// The page bundle inside the executable (docs/pages.md#embedding). scripts/build.ts writes every
// bundled file beside a generated module that imports each one `with { type: "file" }` (so
// `bun build --compile` embeds it) and calls embedPages() before src/main.ts runs. Nothing is
// read until the first page request: an idle server holds no page bytes.
import type { BuiltPage, Bundle, Served } from "./bundle.ts";

export interface EmbeddedFile {
  type: string;
  etag: string;
  /** Path of the embedded file (/$bunfs/…). */
  body: string;
  gzip: string | null;
}

export interface EmbeddedPages {
  pages: { dir: string; html: EmbeddedFile; assets: string[]; weight: number }[];
  assets: Record<string, EmbeddedFile>;
}

let embedded: EmbeddedPages | null = null;

/** Called by the build's generated entry module; never in a server run from source. */
export function embedPages(m: EmbeddedPages): void {
  embedded = m;
}

export const hasEmbeddedPages = () => embedded !== null;

async function load(f: EmbeddedFile): Promise<Served> {
  return { type: f.type, etag: f.etag, body: await Bun.file(f.body).bytes(), gzip: f.gzip ? await Bun.file(f.gzip).bytes() : null };
}

/** The embedded bundle, read into memory (a few hundred KB at most). */
export async function loadEmbeddedPages(): Promise<Bundle> {
  if (!embedded) throw new Error("no pages are embedded in this executable");
  const bundle: Bundle = { pages: new Map(), assets: new Map() };
  for (const [name, f] of Object.entries(embedded.assets)) bundle.assets.set(name, await load(f));
  for (const p of embedded.pages) {
    const page: BuiltPage = { dir: p.dir, html: await load(p.html), assets: p.assets, weight: p.weight };
    bundle.pages.set(p.dir, page);
  }
  return bundle;
}
