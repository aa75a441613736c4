// Smoke test of the compiled binary: built for this machine, copied to a folder with no
// node_modules, started, spoken to on every endpoint, asked for every page, then stopped with SIGTERM.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startChild, type Child } from "../../scripts/lib/spawn.ts";
import { build, hostTarget } from "../../scripts/build.ts";
import { bundlePages, dirsOf } from "../../src/pages/bundle.ts";
import { pages } from "../../src/pages/registry.ts";
import { tempDir } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";
import { smokeProbes } from "../helpers/smoke-probes.ts";

describe("compiled binary", () => {
  const dir = tempDir("switchboard-smoke-");
  const bin = join(dir, "switchboard");
  let child: Child | null = null;
  let port = 0;

  beforeAll(async () => {
    const r = await build(hostTarget(), join(dir, "build-out"));
    if (!r.ok) throw new Error("build failed:\n" + r.output);
    copyFileSync(join(dir, "build-out"), bin);
    rmSync(join(dir, "build-out"));
    mkdirSync(join(dir, "media"));
    writeFileSync(join(dir, "media", "clip.webm"), new Uint8Array(256).map((_, i) => i));
    child = await startChild([bin, "--port", "0", "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--media-dir", join(dir, "media"), "--log-format", "json"], {
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      cleanEnv: true,
    });
    port = child.port;
  }, 60_000);

  afterAll(() => {
    child?.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("--version and --help run without node_modules", () => {
    const v = Bun.spawnSync([bin, "--version"], { cwd: dir });
    expect(v.exitCode).toBe(0);
    expect(v.stdout.toString()).toMatch(/^switchboard \d+\.\d+\.\d+/);
    const bad = Bun.spawnSync([bin, "--port", "nope"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
  });

  test("a .env in the working folder is not read (configuration is flags and SWITCHBOARD_* only)", () => {
    const here = join(dir, "with-dotenv");
    mkdirSync(here);
    writeFileSync(join(here, ".env"), "SWITCHBOARD_PORT=1234\n");
    const r = Bun.spawnSync([bin, "--print-config"], { cwd: here, env: { PATH: "/usr/bin:/bin" } });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.toString()).port).toBe(8080);
  });

  test("/healthz and /metrics answer", async () => {
    const h = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(h.status).toBe(200);
    const j = (await h.json()) as any;
    expect(j.status).toBe("ok");
    expect(typeof j.uptime_s).toBe("number");
    const m = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(await m.text()).toContain("process_resident_memory_bytes");
  });

  test("every page and its assets come from inside the executable, the same bytes as a run from source bundles", async () => {
    // The built-in pages, each of which must come out of the executable below.
    expect(pages.map((p) => p.path)).toEqual(expect.arrayContaining(["/", "/metronome", "/watch"]));
    const bundle = await bundlePages(dirsOf(pages));
    const wire = async (path: string, encoding: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "accept-encoding": encoding }, decompress: false });
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      return { r, bytes: new Uint8Array(await r.arrayBuffer()) };
    };
    for (const entry of pages) {
      const built = bundle.pages.get(entry.dir)!;
      const { r, bytes } = await wire(entry.path, "identity");
      expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(r.headers.get("etag")).toBe(built.html.etag);
      expect(bytes).toEqual(built.html.body);
      for (const name of built.assets) {
        const asset = bundle.assets.get(name)!;
        const got = await wire(`/assets/${name}`, "gzip");
        expect(got.r.headers.get("content-type")).toBe(asset.type);
        expect(got.bytes).toEqual(asset.gzip ?? asset.body);
      }
    }
    const info = (await (await fetch(`http://127.0.0.1:${port}/api/info`)).json()) as { port: number };
    expect(info.port).toBe(port);
  });

  test("the built-in screens are among them: the scoreboard, its CSV export, and the relay console", async () => {
    for (const path of ["/scores", "/relay"]) {
      expect(pages.map((p) => p.path)).toContain(path);
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      expect({ path, status: r.status, type: r.headers.get("content-type") }).toEqual({ path, status: 200, type: "text/html; charset=utf-8" });
      expect(await r.text()).toContain('<script type="module"');
    }
    const csv = await fetch(`http://127.0.0.1:${port}/scores.csv?ids=000001`);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(await csv.text()).toBe("id,timestamp,score,received_at\r\n");
  });

  test("--media-dir: /media serves byte ranges, /api/media lists the file", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/media/clip.webm`, { headers: { range: "bytes=16-31" } });
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe("bytes 16-31/256");
    expect(r.headers.get("content-type")).toBe("video/webm");
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(new Uint8Array(16).map((_, i) => 16 + i));
    const list = (await (await fetch(`http://127.0.0.1:${port}/api/media`)).json()) as { files: { name: string }[] };
    expect(list.files.map((f) => f.name)).toEqual(["clip.webm"]);
  });

  for (const probe of smokeProbes) {
    test(`WebSocket round trip on ${probe.path}`, async () => {
      const c = await TestClient.open(`ws://127.0.0.1:${port}${probe.path}`);
      await probe.run(c, port);
      c.close();
    });
  }

  test("SIGTERM: exit 0 within 5 s", async () => {
    const t0 = performance.now();
    child!.proc.kill("SIGTERM");
    const code = await child!.proc.exited;
    expect(code).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(child!.output()).toContain('"msg":"stopped"');
  });
});
