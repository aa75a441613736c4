// The arm64 executable (what goes on a Raspberry Pi-class board) is built and really run, under
// qemu-aarch64 user emulation with Debian's arm64 glibc: it must serve /healthz, answer a
// WebSocket round trip and stop cleanly on SIGTERM. Installs qemu-user and the arm64 libc when
// missing, never skips.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startChild, type Child } from "../../scripts/lib/spawn.ts";
import { build } from "../../scripts/build.ts";
import { tempDir } from "../helpers/server.ts";
import { ensure } from "../helpers/tools.ts";
import { TestClient } from "../helpers/ws-client.ts";

const SYSROOT = "/usr/aarch64-linux-gnu";

function ensureQemu(): void {
  const ready = () => Bun.which("qemu-aarch64") !== null && existsSync(join(SYSROOT, "lib/ld-linux-aarch64.so.1"));
  ensure("qemu-aarch64 with the arm64 libc", ready, ["qemu-user", "libc6-arm64-cross"]);
}

describe("linux-arm64 executable under qemu", () => {
  const dir = tempDir("switchboard-arm64-");
  const bin = join(dir, "switchboard-linux-arm64");
  let child: Child | null = null;
  let port = 0;

  beforeAll(async () => {
    ensureQemu();
    const r = await build("linux-arm64", bin);
    if (!r.ok) throw new Error("arm64 build failed:\n" + r.output);
    const cmd = ["qemu-aarch64", "-L", SYSROOT, bin, "--port", "0", "--host", "127.0.0.1", "--data-dir", join(dir, "data"), "--log-format", "json"];
    child = await startChild(cmd, { cwd: dir, timeoutMs: 30_000 });
    port = child.port;
  }, 90_000);

  afterAll(() => {
    child?.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("serves /healthz and a clicker round trip", async () => {
    const h = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string };
    expect(h.status).toBe("ok");
    const c = await TestClient.open(`ws://127.0.0.1:${port}/ws`, 15_000);
    c.send("REGISTER");
    expect(await c.next(15_000)).toMatch(/^REGISTERED \d{6} [0-9a-f]{32}$/);
    c.close();
  }, 30_000);

  test("serves the start page from inside the executable", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const js = (await r.text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(js).toBeDefined();
    const a = await fetch(`http://127.0.0.1:${port}${js}`);
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  }, 30_000);

  test("SIGTERM: exit 0", async () => {
    child!.proc.kill("SIGTERM");
    expect(await child!.proc.exited).toBe(0);
  }, 30_000);
});
