// The page bundle (docs/pages.md#bundling): the same sources give the same bytes, each page's JS
// + CSS stays under its gzipped budget, and browser code that reaches for server code or for a
// CDN does not build.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundlePages, dirsOf, PAGE_BUDGET_BYTES } from "../../../src/pages/bundle.ts";
import { pages } from "../../../src/pages/registry.ts";
import { bootServer, tempDir } from "../../helpers/server.ts";

const root = join(import.meta.dir, "..", "..", "..");
const tmp = tempDir("switchboard-bundle-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function page(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe("the registry's pages", () => {
  test("bundling twice gives the same files, byte for byte", async () => {
    const a = await bundlePages(dirsOf(pages));
    const b = await bundlePages(dirsOf(pages));
    expect([...a.assets.keys()]).toEqual([...b.assets.keys()]);
    for (const [name, s] of a.assets) expect(b.assets.get(name)).toEqual(s);
    for (const [dir, p] of a.pages) expect(b.pages.get(dir)).toEqual(p);
  });

  test(`each page's JS + CSS, gzipped as served, is at most ${PAGE_BUDGET_BYTES / 1024} KB`, async () => {
    const srv = await bootServer();
    try {
      for (const entry of pages) {
        // Measured on the wire: what a phone downloads for the page.
        const html = await (await fetch(srv.http + entry.path, { headers: { "accept-encoding": "identity" }, decompress: false })).text();
        let bytes = 0;
        for (const [, url] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)) {
          const r = await fetch(srv.http + url, { headers: { "accept-encoding": "gzip" }, decompress: false });
          bytes += (await r.arrayBuffer()).byteLength;
        }
        expect(bytes).toBeGreaterThan(0);
        expect({ page: entry.path, bytes, withinBudget: bytes <= PAGE_BUDGET_BYTES }).toEqual({ page: entry.path, bytes, withinBudget: true });
        // The bundle's own measure (used by npm run build) agrees with the wire.
        const built = (await bundlePages([entry.dir])).pages.get(entry.dir)!;
        expect(built.weight).toBe(bytes);
      }
    } finally {
      await srv.stop();
    }
  });
});

describe("what does not build", () => {
  test("browser code that imports server code (even a file beside the page folders, which is the server's)", async () => {
    for (const server of ["src/transport/close-codes.ts", "src/pages/registry.ts"]) {
      const dir = page(`leaky-${server.replace(/\W/g, "-")}`, {
        "index.html": '<!doctype html><script type="module" src="./main.ts"></script>',
        "main.ts": `import * as m from ${JSON.stringify(join(root, server))};\nconsole.log(m);\n`,
      });
      await expect(bundlePages([dir])).rejects.toThrow(new RegExp(`browser code imports server code: .*${server.replace(/[./]/g, "\\$&")}`));
    }
  });

  test("a script, a stylesheet or a font from a CDN", async () => {
    const cdnScript = page("cdn-script", { "index.html": '<!doctype html><script src="https://cdn.example.com/lib.js"></script>' });
    await expect(bundlePages([cdnScript])).rejects.toThrow(/loads from outside the server \(https:\/\/cdn\.example\.com\/lib\.js\)/);
    const cdnFont = page("cdn-font", {
      "index.html": '<!doctype html><link rel="stylesheet" href="./style.css">',
      "style.css": '@font-face { font-family: X; src: url("https://fonts.example.com/x.woff2"); }\nbody { font-family: X; }\n',
    });
    await expect(bundlePages([cdnFont])).rejects.toThrow(/loads from outside the server/);
  });

  test("a syntax error names the page", async () => {
    const dir = page("broken", { "index.html": '<!doctype html><script type="module" src="./main.ts"></script>', "main.ts": "let x = ;\n" });
    await expect(bundlePages([dir])).rejects.toThrow(/page .*broken: bundling failed/);
  });
});
