// GET /scores.csv against the real server (docs/clicker.md#csv-export): clickers score over /ws,
// the CSV holds exactly their stored scores in stored order; bad ids are 400; a large export is
// streamed.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SqliteClickerStore } from "../../../src/protocols/clicker/store.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let s: TestServer;
const open: TestClient[] = [];
beforeAll(async () => {
  s = await bootServer();
});
afterAll(async () => {
  for (const c of open) c.close();
  await s.stop();
});

async function clicker(): Promise<{ c: TestClient; id: string }> {
  const c = await TestClient.open(s.ws("/ws"));
  open.push(c);
  c.send("REGISTER");
  const m = /^REGISTERED (\d{6}) [0-9a-f]{32}$/.exec(await c.next());
  if (!m) throw new Error("no REGISTERED");
  return { c, id: m[1]! };
}

/** Sends SCORE and waits for its SCORED; returns the wall-clock window the commit happened in. */
async function score(c: TestClient, ts: string, value: string): Promise<[number, number]> {
  const before = Date.now();
  c.send(`SCORE ${ts} ${value}`);
  expect(await c.next()).toBe(`SCORED ${ts}`);
  return [before, Date.now()];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("/scores.csv", () => {
  test("every stored score of the chosen ids, in stored order, with the commit time", async () => {
    const a = await clicker();
    const b = await clicker();
    const other = await clicker();
    const windows: [number, number][] = [];
    windows.push(await score(a.c, "100", "1"));
    windows.push(await score(b.c, "-5", "1"));
    windows.push(await score(a.c, "200", "2"));
    await score(other.c, "1", "50"); // not asked for
    windows.push(await score(a.c, "007", "3")); // stored as 7
    await score(a.c, "200", "9"); // a retry: not stored again, the first score stays
    windows.push(await score(b.c, "9223372036854775807", "-9223372036854775808"));

    const r = await fetch(`${s.http}/scores.csv?ids=${a.id},${b.id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    expect(r.headers.get("content-disposition")).toBe(`attachment; filename="scores-${a.id}-${b.id}.csv"`);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const text = await r.text();
    const lines = text.split("\r\n");
    expect(lines.pop()).toBe(""); // every line ends with CRLF
    expect(lines[0]).toBe("id,timestamp,score,received_at");
    const rows = lines.slice(1).map((l) => l.split(","));
    expect(rows.map((f) => f.slice(0, 3).join(","))).toEqual([
      `${a.id},100,1`,
      `${b.id},-5,1`,
      `${a.id},200,2`,
      `${a.id},7,3`,
      `${b.id},9223372036854775807,-9223372036854775808`,
    ]);
    rows.forEach((f, i) => {
      expect(f[3]).toMatch(ISO);
      const t = Date.parse(f[3]!);
      expect(t).toBeGreaterThanOrEqual(windows[i]![0]);
      expect(t).toBeLessThanOrEqual(windows[i]![1]);
    });

    // One id, repeated and with spaces: the same rows of that id alone.
    const one = await (await fetch(`${s.http}/scores.csv?ids=${b.id},%20${b.id}`)).text();
    expect(one).toBe(["id,timestamp,score,received_at", lines[2], lines[5], ""].join("\r\n"));
    // An id that never scored: the header alone.
    expect(await (await fetch(`${s.http}/scores.csv?ids=999999`)).text()).toBe("id,timestamp,score,received_at\r\n");
  });

  test("bad ids: 400 with the reason", async () => {
    const cases: [string, string][] = [
      ["/scores.csv", "usage: /scores.csv?ids=<ids>, one or more 6-digit clicker ids separated by commas\n"],
      ["/scores.csv?ids=", "usage: /scores.csv?ids=<ids>, one or more 6-digit clicker ids separated by commas\n"],
      ["/scores.csv?ids=000001,abc", "ids are 6 digits, got abc\n"],
      ["/scores.csv?ids=0000001", "ids are 6 digits, got 0000001\n"],
      [`/scores.csv?ids=${Array.from({ length: 1001 }, (_, i) => String(i + 1).padStart(6, "0")).join(",")}`, "at most 1000 ids per request, got 1001\n"],
    ];
    for (const [path, body] of cases) {
      const r = await fetch(s.http + path);
      expect({ path: path.slice(0, 40), status: r.status, body: await r.text() }).toEqual({ path: path.slice(0, 40), status: 400, body });
      expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    }
  });

  test("a large export is streamed, every row once", async () => {
    // 12,000 scores written straight into the server's database, as a long event would leave them.
    // A second connection to the server's file (WAL): the server's own lives in its database worker.
    const db = new Database(s.server.ctx.store.path);
    const store = new SqliteClickerStore(db);
    const id = ((await store.register(null))!).id;
    const noise = ((await store.register(null))!).id;
    for (let k = 0; k < 12; k++) {
      await store.saveScores(Array.from({ length: 1000 }, (_, i) => ({ id: i % 3 === 2 ? noise : id, ts: BigInt(k * 1000 + i), score: BigInt(i) })));
    }
    db.close();
    const r = await fetch(`${s.http}/scores.csv?ids=${id}`);
    // Streamed: sent chunked, its length unknown when the answer starts (the slices themselves are
    // counted in test/unit/clicker/export.test.ts; TCP may join them on the way here).
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    expect(r.headers.get("content-length")).toBeNull();
    const text = await r.text();
    const lines = text.split("\r\n").slice(1, -1);
    // Two of every three scores are that id's: 667 of each 1000.
    expect(lines.length).toBe(12 * 667);
    expect(lines[0]).toMatch(new RegExp(`^${id},0,0,`));
    expect(lines.at(-1)).toMatch(new RegExp(`^${id},11999,999,`));
    expect(new Set(lines).size).toBe(12 * 667);
  });
});
