// Durability on /ws (docs/clicker.md#durability-and-throughput: a score is stored before SCORED is
// sent; a secret's id survives restarts), with the
// real server run as a child process (`bun src/main.ts --port 0 --data-dir X`) and killed with
// SIGKILL: no shutdown hook runs, so only what was on disk before SCORED can survive.
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { tempDir } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { register, take } from "../../helpers/clients/clicker.ts";
import { spawnServer, type ChildServer } from "../../helpers/process.ts";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

async function start(dataDir: string, extra: string[] = []): Promise<ChildServer> {
  const srv = await spawnServer(dataDir, extra);
  cleanup.push(() => srv.proc.kill("SIGKILL"));
  return srv;
}
async function open(url: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  cleanup.push(() => c.close());
  return c;
}
function dir(): string {
  const d = tempDir("switchboard-clicker-kill-");
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe("durability with a real server process", () => {
  test("SIGKILL right after SCORED loses nothing: id, secret, latest score and retry detection survive", async () => {
    const dataDir = dir();
    let srv = await start(dataDir);
    let c = await open(srv.ws);
    const r = await register(c);
    c.send("SCORE 4294967295 1");
    expect(await c.next()).toBe("SCORED 4294967295");
    c.send("SCORE -2147483648 2");
    expect(await c.next()).toBe("SCORED -2147483648");
    srv.proc.kill("SIGKILL"); // the instant SCORED arrived
    expect(await srv.exited).not.toBe(0);
    expect(srv.proc.signalCode).toBe("SIGKILL");

    srv = await start(dataDir);
    c = await open(srv.ws);
    expect(await register(c, `REGISTER ${r.secret}`)).toEqual(r);
    const board = await open(srv.ws);
    board.send(`LISTEN ${r.id}`);
    expect(await take(board, 2)).toEqual([`CONNECT ${r.id}`, `SCORE -2147483648 ${r.id} 2`]);
    // The client never learned whether its SCOREDs arrived in time: its retries are not new scores.
    c.send("SCORE 4294967295 1");
    c.send("SCORE -2147483648 2");
    expect(await take(c, 2)).toEqual(["SCORED 4294967295", "SCORED -2147483648"]);
    expect(await board.quiet(250)).toBe(true);
    // A device registering after the crash never gets the old id.
    for (let i = 0; i < 10; i++) {
      const n = await open(srv.ws);
      expect((await register(n)).id).not.toBe(r.id);
    }
  });

  test("SIGKILL in the middle of a burst: every SCORED score is on disk", async () => {
    const dataDir = dir();
    const limits = ["--rate-limit", "100000", "--rate-burst", "100000"];
    let srv = await start(dataDir, limits);
    let c = await open(srv.ws);
    const r = await register(c);
    // Keep pressing (5 scores a millisecond) and kill once 150 are acknowledged, so the kill lands
    // while scores are in flight on the wire, in a batch and in a commit.
    let sent = 0;
    const presser = setInterval(() => {
      for (let k = 0; k < 5 && sent < 4000; k++, sent++) c.send(`SCORE ${sent} ${sent + 1}`);
    }, 1);
    const acked: number[] = [];
    try {
      while (acked.length < 150) {
        expect(await c.next(10_000)).toBe(`SCORED ${acked.length}`);
        acked.push(acked.length);
      }
      srv.proc.kill("SIGKILL");
      await srv.exited;
    } finally {
      clearInterval(presser);
    }
    for (const m of c.inbox.splice(0)) acked.push(Number(String(m).split(" ")[1]));
    expect(acked).toEqual(acked.map((_, i) => i));
    if (process.env.CLICKER_DEBUG) console.log("sent", sent, "acked before kill", acked.length);

    srv = await start(dataDir, limits);
    c = await open(srv.ws);
    expect(await register(c, `REGISTER ${r.secret}`)).toEqual(r);
    const board = await open(srv.ws);
    board.send(`LISTEN ${r.id}`);
    expect(await board.next()).toBe(`CONNECT ${r.id}`);
    const catchUp = await board.next();
    const last = /^SCORE (\d+) (\d{6}) (\d+)$/.exec(catchUp);
    expect(last?.[2]).toBe(r.id);
    expect(Number(last![1])).toBeGreaterThanOrEqual(acked.length - 1);
    expect(Number(last![3])).toBe(Number(last![1]) + 1);
    // Re-send every acknowledged score: each is a retry, so none may be broadcast.
    for (const ts of acked) c.send(`SCORE ${ts} ${ts + 1}`);
    expect(await take(c, acked.length, 10_000)).toEqual(acked.map((ts) => `SCORED ${ts}`));
    expect(await board.quiet(300)).toBe(true);
  });

  test("SIGTERM: sockets closed 1001, exit 0, and a restart keeps ids and scores", async () => {
    const dataDir = dir();
    let srv = await start(dataDir);
    let c = await open(srv.ws);
    const r = await register(c);
    c.send("SCORE 77 7");
    expect(await c.next()).toBe("SCORED 77");
    const closed = c.waitClose(6000);
    srv.proc.kill("SIGTERM");
    expect((await closed).code).toBe(1001);
    expect(await srv.exited).toBe(0);

    srv = await start(dataDir);
    c = await open(srv.ws);
    expect(await register(c, `REGISTER ${r.secret}`)).toEqual(r);
    const board = await open(srv.ws);
    board.send(`LISTEN ${r.id}`);
    expect(await take(board, 2)).toEqual([`CONNECT ${r.id}`, `SCORE 77 ${r.id} 7`]);
  });
});
