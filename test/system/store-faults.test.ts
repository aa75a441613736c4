// The disk off the event loop (docs/architecture.md#data, docs/clicker.md#storage-errors), against
// real file systems set up as root: a frozen data dir (fsfreeze on a loop-mounted ext4 image, a
// stalled SD card) delays only the SCORED replies that wait for it while /healthz and the other
// protocols keep answering; a full disk (a small tmpfs) answers every SCORE with
// ERROR storage_unavailable, reports the store as degraded, and stores later retries by itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootServer, type TestServer } from "../helpers/server.ts";
import { ensureCommand } from "../helpers/tools.ts";
import { TestClient } from "../helpers/ws-client.ts";

const run = async (cmd: string[]) => {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}): ${err || out}`);
  return out;
};

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("these tests mount file systems: run the system tier as root (CI does)");
  ensureCommand("fsfreeze", ["util-linux"]);
  ensureCommand("mkfs.ext4", ["e2fsprogs"]);
}, 180_000);

async function clicker(s: TestServer): Promise<TestClient> {
  const c = await TestClient.open(s.ws("/ws"));
  c.send("REGISTER");
  expect(await c.next()).toStartWith("REGISTERED ");
  return c;
}
const health = async (s: TestServer) => (await (await fetch(s.http + "/healthz")).json()) as any;
/** ms for one answer: /healthz over HTTP, or a metronome get_id over an open socket. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

describe("a frozen data dir", () => {
  const base = mkdtempSync(join(tmpdir(), "sb-freeze-"));
  const image = join(base, "disk.ext4");
  const mnt = join(base, "mnt");
  let s: TestServer;
  let frozen = false;
  beforeAll(async () => {
    await run(["truncate", "-s", "32M", image]);
    await run(["mkfs.ext4", "-q", image]);
    mkdirSync(mnt);
    await run(["mount", "-o", "loop", image, mnt]);
    s = await bootServer({}, { dataDir: join(mnt, "data") });
  }, 60_000);
  afterAll(async () => {
    if (frozen) await run(["fsfreeze", "-u", mnt]);
    await s?.stop();
    await run(["umount", mnt]).catch(() => {});
    rmSync(base, { recursive: true, force: true });
  });

  test("SCORED waits for the disk; /healthz and the metronome answer meanwhile; the score lands when it thaws", async () => {
    const c = await clicker(s);
    c.send("SCORE 1 10");
    expect(await c.next()).toBe("SCORED 1");
    const metro = await TestClient.open(s.ws("/connect"));
    await metro.next(); // the greeting
    let k = 0;
    const getId = async () => {
      metro.send(JSON.stringify({ jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: ++k }));
      return metro.next();
    };

    await run(["fsfreeze", "-f", mnt]);
    frozen = true;
    c.send("SCORE 2 20");
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      times.push(await timed(() => health(s)));
      times.push(await timed(getId));
    }
    expect(c.inbox).toEqual([]); // not acknowledged: it is not on disk
    // A main thread stuck on the frozen disk would not answer at all until the thaw below; the
    // bound only has to tell "answered" from "stuck", not measure speed (the bench does that).
    times.sort((a, b) => a - b);
    expect(times.at(-1)!).toBeLessThan(2000);
    // A call waiting this long is reported.
    for (let i = 0; i < 60 && (await health(s)).store.status !== "stalled"; i++) await Bun.sleep(100);
    expect((await health(s)).store).toMatchObject({ status: "stalled", pending: 1 });

    await run(["fsfreeze", "-u", mnt]);
    frozen = false;
    expect(await c.next(10_000)).toBe("SCORED 2");
    expect((await health(s)).store.status).toBe("ok");
    c.close();
    metro.close();
  }, 60_000);
});

describe("a full disk", () => {
  const mnt = mkdtempSync(join(tmpdir(), "sb-full-"));
  let s: TestServer;
  beforeAll(async () => {
    await run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt]);
    s = await bootServer({}, { dataDir: join(mnt, "data") });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await run(["umount", mnt]).catch(() => {});
    rmSync(mnt, { recursive: true, force: true });
  });

  test("every SCORE is answered (ERROR storage_unavailable), the store is degraded, and retries are stored once space is back", async () => {
    const c = await clicker(s);
    const filler = join(mnt, "filler");
    await run(["sh", "-c", `dd if=/dev/zero of=${filler} bs=64k 2>/dev/null; true`]);
    const failed: number[] = [];
    for (let i = 1; i <= 40; i++) {
      c.send(`SCORE ${i} ${i * 10}`);
      const reply = await c.next(5000);
      if (reply.startsWith("ERROR storage_unavailable ")) failed.push(i);
      else expect(reply).toBe(`SCORED ${i}`);
      await Bun.sleep(5); // each SCORE in its own commit, as a clicker pressed by hand
    }
    expect(failed.length).toBeGreaterThan(0);
    const h = await health(s);
    expect(h.store.status).toBe("degraded");
    expect(h.store.error).toContain("SQLITE_FULL");
    expect(h.status).toBe("ok"); // the server itself serves on

    rmSync(filler);
    for (const i of failed) {
      c.send(`SCORE ${i} ${i * 10}`);
      expect(await c.next(5000)).toBe(`SCORED ${i}`);
    }
    expect((await health(s)).store.status).toBe("ok");
    const db = new Database(s.server.ctx.store.path, { readonly: true });
    const n = db.query<{ n: number }, []>("SELECT count(*) AS n FROM clicker_scores").get()!.n;
    db.close();
    expect(n).toBe(40);
    c.close();
  }, 60_000);
});
