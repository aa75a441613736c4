// Stopping and starting the real process (docs/common.md#stopping-and-starting), from source
// (`bun src/main.ts`) and as the compiled binary: on SIGTERM/SIGINT stop accepting, close every
// socket of every protocol with 1001, answer a pending long poll, flush the database (WAL
// checkpointed) and exit 0 within 5 s. The command line (docs/common.md#command-line,
// #start-up-failures): --help/--version/--print-config, invalid config exits 2, reusePort off (a
// second process on the same port fails), a clear error for a data dir that cannot be written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, hostTarget } from "../../../scripts/build.ts";
import { tempDir } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { open, openSocketIO } from "../../integration/common/endpoints.ts";
import { silentWebSocket } from "../../helpers/raw-socket.ts";
import { fromSource, runToExit, startChild, type Child } from "../../helpers/process.ts";

const dir = tempDir("switchboard-conformance-");
const binary = join(dir, "switchboard");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  const r = await build(hostTarget(), binary);
  if (!r.ok) throw new Error("build failed:\n" + r.output);
}, 60_000);

const runtimes: { name: string; cmd: (args: string[]) => string[] }[] = [
  { name: "bun src/main.ts", cmd: fromSource },
  { name: "compiled binary", cmd: (args) => [binary, ...args] },
];

const PER_PROTOCOL = 15;

/** Many open sockets on every endpoint, a polling session with a GET held open, and a stored score. */
async function busy(port: number) {
  const ws = (p: string) => `ws://127.0.0.1:${port}${p}`;
  const sockets: TestClient[] = [];
  for (let i = 0; i < PER_PROTOCOL; i++) {
    sockets.push(
      await open(ws("/connect"), 1),
      await open(ws("/metronome"), 1),
      await open(ws("/OpenSyncParty/ws"), 0),
      await open(ws("/ws"), 0),
      await open(ws("/mediator"), 0),
      await openSocketIO(ws("")),
    );
  }
  const clicker = sockets[3]!;
  clicker.send("REGISTER");
  const id = (await clicker.next()).split(" ")[1]!;
  clicker.send("SCORE 1234 99");
  expect(await clicker.next()).toBe("SCORED 1234");

  const http = `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`;
  const sid = JSON.parse((await (await fetch(http)).text()).slice(1)).sid as string;
  await fetch(`${http}&sid=${sid}`, { method: "POST", body: "40" });
  expect(await (await fetch(`${http}&sid=${sid}`)).text()).toStartWith("40");
  const longPoll = fetch(`${http}&sid=${sid}`).then((r) => r.text()); // held: nothing to send yet
  // Clients that never answer the close handshake must not hold the exit past 5 s.
  const mutes = await Promise.all(["/connect", "/OpenSyncParty/ws", "/ws", "/mediator", "/socket.io/?EIO=4&transport=websocket"].map((p) => silentWebSocket(port, p)));
  // Lets the long poll reach the child server: from outside its process nothing says a request is held.
  await Bun.sleep(100);
  return { sockets, id, longPoll, mutes };
}

for (const rt of runtimes) {
  describe(`graceful stop: ${rt.name}`, () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      test(`${signal}: every socket gets 1001, the long poll is answered, the database is flushed, exit 0 within 5 s`, async () => {
        const data = join(dir, `data-${rt.name.length}-${signal}`);
        const child = await startChild(rt.cmd(["--port", "0", "--host", "127.0.0.1", "--data-dir", data, "--log-format", "json"]), dir);
        try {
          const { sockets, id, longPoll, mutes } = await busy(child.port);
          const h = (await (await fetch(`http://127.0.0.1:${child.port}/healthz`)).json()) as any;
          expect(h.connections).toEqual({ metronome: 2 * PER_PROTOCOL + 1, syncparty: PER_PROTOCOL + 1, clicker: PER_PROTOCOL + 1, socketio: PER_PROTOCOL + 2, buzzer: PER_PROTOCOL + 1 });

          const closes = sockets.map((c) => c.waitClose(5000));
          const firstClose = Promise.race(closes);
          const t0 = performance.now();
          child.proc.kill(signal);
          await firstClose;
          // Once sockets are being closed the listener is gone: no new connection is accepted.
          const late = await fetch(`http://127.0.0.1:${child.port}/healthz`).then(
            () => "accepted",
            () => "refused",
          );
          expect(late).toBe("refused");
          const codes = (await Promise.all(closes)).map((c) => c.code);
          expect(codes.filter((c) => c !== 1001)).toEqual([]);
          expect(await longPoll).toBe("1"); // Engine.IO close packet
          expect(await child.proc.exited).toBe(0);
          expect(performance.now() - t0).toBeLessThan(5000);
          await Promise.all(mutes.map((m) => m.closed));
          expect(mutes.map((m) => m.closeCode)).toEqual([1001, 1001, 1001, 1001, 1001]);
          expect(child.stderr()).toContain('"msg":"stopped"');

          // Flushed: the WAL was checkpointed into the database file and removed.
          const wal = join(data, "switchboard.db-wal");
          expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
          const db = new Database(join(data, "switchboard.db"), { readonly: true });
          try {
            const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
            const scores = tables.find((t) => /score/i.test(t));
            expect(scores).toBeDefined();
            const dump = JSON.stringify(db.query(`SELECT * FROM ${scores}`).all());
            expect(dump).toContain("1234");
            expect(dump).toContain(id.replace(/^0+/, ""));
          } finally {
            db.close();
          }
        } finally {
          child.proc.kill("SIGKILL");
        }
      }, 30_000);
    }
  });
}

describe("command line", () => {
  for (const rt of runtimes) {
    test(`${rt.name}: --help, -h, --version, -v, --print-config exit 0; invalid configuration exits 2`, async () => {
      for (const flag of ["--help", "-h"]) {
        const r = await runToExit(rt.cmd([flag]), dir);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("--max-frame-bytes");
      }
      for (const flag of ["--version", "-v"]) {
        const r = await runToExit(rt.cmd([flag]), dir);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^switchboard \d+\.\d+\.\d+/);
      }
      const p = await runToExit(rt.cmd(["--print-config", "--port", "9123", "--rate-limit", "7"]), dir);
      expect(p.code).toBe(0);
      const config = JSON.parse(p.stdout);
      expect(config).toMatchObject({ port: 9123, rateLimit: 7, rateBurst: 400, maxFrameBytes: 65536, pingIntervalMs: 30000, idleTimeoutMs: 60000 });
      for (const bad of [["--port", "nope"], ["--port", "70000"], ["--no-such-flag"], ["positional"], ["--rate-limit", "0"], ["--log-level", "loud"], ["--print-config", "--port", "-1"], ["--ping-interval-ms", "5000", "--idle-timeout-ms", "4000"]]) {
        const r = await runToExit(rt.cmd(bad), dir);
        expect(r.code, bad.join(" ")).toBe(2);
        expect(r.stderr.length).toBeGreaterThan(0);
      }
    });
  }
});

describe("start-up errors", () => {
  test("a port already in use: a clear error and a non-zero exit, never a shared port", async () => {
    const first = await startChild(fromSource(["--port", "0", "--host", "127.0.0.1", "--data-dir", join(dir, "first"), "--log-format", "json"]), dir);
    try {
      for (const host of ["127.0.0.1", "0.0.0.0"]) {
        const r = await runToExit(fromSource(["--port", String(first.port), "--host", host, "--data-dir", join(dir, "second"), "--log-format", "json"]), dir);
        expect(r.code).not.toBe(0);
        expect(r.code).not.toBeNull();
        expect(r.stderr).toContain(`port ${first.port}`);
        expect(r.stderr).toContain("already in use");
      }
      const r = await runToExit([binary, "--port", String(first.port), "--host", "127.0.0.1", "--data-dir", join(dir, "second")], dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("already in use");
      expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status).toBe(200);
    } finally {
      first.proc.kill("SIGKILL");
    }
  }, 30_000);

  test("a data dir that cannot be written: a clear error naming it, non-zero exit", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const readOnly = join(dir, "read-only");
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    chmodSync(dir, 0o755);
    // As root every directory is writable, so the read-only cases run as "nobody" when we are root.
    const asNobody = (cmd: string[]) => (process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd] : cmd);
    const cases = [
      { dataDir: join(file, "sub"), cmd: (d: string) => [binary, "--port", "0", "--data-dir", d] },
      { dataDir: join(readOnly, "new"), cmd: (d: string) => asNobody([binary, "--port", "0", "--data-dir", d]) },
      { dataDir: readOnly, cmd: (d: string) => asNobody([binary, "--port", "0", "--data-dir", d]) },
    ];
    for (const c of cases) {
      const r = await runToExit(c.cmd(c.dataDir), dir);
      expect(r.code, c.dataDir).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toContain(c.dataDir);
      expect(r.stderr).toMatch(/data dir/i);
    }
  }, 30_000);
});
