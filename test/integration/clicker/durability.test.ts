// Integration: what SCORED promises. Ids and scores survive a restart; a flood loses and
// duplicates nothing and does not starve another clicker.
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { bootServer, tempDir } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { registerOn } from "./client.ts";

describe("clicker /ws: durability", () => {
  test("a restart with the same data dir keeps ids, latest scores and retry detection", async () => {
    const dataDir = tempDir("switchboard-clicker-restart-");
    try {
      let s = await bootServer({}, { dataDir });
      let a = await TestClient.open(s.ws("/ws"));
      const ra = await registerOn(a);
      for (const [ts, score] of [[4294967000, 1], [12, 2], [13, 3]] as const) {
        a.send(`SCORE ${ts} ${score}`);
        expect(await a.next()).toBe(`SCORED ${ts}`);
      }
      const closed = a.waitClose();
      await s.stop(false);
      expect((await closed).code).toBe(1001);

      s = await bootServer({}, { dataDir });
      try {
        a = await TestClient.open(s.ws("/ws"));
        expect(await registerOn(a, ra.secret)).toEqual(ra);
        const board = await TestClient.open(s.ws("/ws"));
        board.send(`LISTEN ${ra.id}`);
        expect(await board.next()).toBe(`CONNECT ${ra.id}`);
        expect(await board.next()).toBe(`SCORE 13 ${ra.id} 3`); // last stored, not max(timestamp)
        // The SCORED for 13 could have been lost in the restart: the retry is acknowledged, not re-broadcast.
        a.send("SCORE 13 3");
        expect(await a.next()).toBe("SCORED 13");
        expect(await board.quiet(200)).toBe(true);
        // A new device never gets an id that was issued before the restart.
        const b = await TestClient.open(s.ws("/ws"));
        expect((await registerOn(b)).id).not.toBe(ra.id);
        for (const c of [a, b, board]) c.close();
      } finally {
        await s.stop(false);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a flood of 2000 scores: all stored once, all acknowledged in order, another clicker still answered", async () => {
    const s = await bootServer({ rateLimit: 1_000_000, rateBurst: 1_000_000 });
    const clients: TestClient[] = [];
    try {
      const open = async () => {
        const c = await TestClient.open(s.ws("/ws"));
        clients.push(c);
        return c;
      };
      const flood = await open();
      const calm = await open();
      const board = await open();
      const rf = await registerOn(flood);
      const rc = await registerOn(calm);
      board.send(`LISTEN ${rf.id} ${rc.id}`);
      expect(await board.next()).toBe(`CONNECT ${rf.id} ${rc.id}`);

      const N = 2000;
      // Every 10th score is sent twice (a retry): it must be acknowledged twice, stored and broadcast once.
      let sent = 0;
      for (let i = 0; i < N; i++) {
        flood.send(`SCORE ${i} ${i + 1}`);
        sent++;
        if (i % 10 === 0) {
          flood.send(`SCORE ${i} ${i + 1}`);
          sent++;
        }
        if (i === N / 2) calm.send("SCORE -1 1");
      }
      expect(await calm.next(10_000)).toBe("SCORED -1");

      const acks: string[] = [];
      while (acks.length < sent) acks.push(await flood.next(10_000));
      const expected: string[] = [];
      for (let i = 0; i < N; i++) expected.push(...(i % 10 === 0 ? [`SCORED ${i}`, `SCORED ${i}`] : [`SCORED ${i}`]));
      expect(acks).toEqual(expected);

      const seen: string[] = [];
      while (seen.length < N + 1) seen.push(await board.next(10_000));
      expect(seen.filter((m) => m.startsWith(`SCORE -1 ${rc.id} `))).toEqual([`SCORE -1 ${rc.id} 1`]);
      const mine = seen.filter((m) => m.includes(` ${rf.id} `));
      expect(mine).toEqual(Array.from({ length: N }, (_, i) => `SCORE ${i} ${rf.id} ${i + 1}`));
      expect(await board.quiet(200)).toBe(true);

      const db = s.server.ctx.store.db;
      const row = db.query<{ n: number; d: number }, [string]>("SELECT count(*) AS n, count(DISTINCT ts) AS d FROM clicker_scores WHERE sender_id = ?").get(rf.id)!;
      expect(row).toEqual({ n: N, d: N });
    } finally {
      for (const c of clients) c.close();
      await s.stop();
    }
  });
});
