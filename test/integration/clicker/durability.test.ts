// What SCORED promises under load (docs/clicker.md#durability-and-throughput): a flood loses and
// duplicates nothing and does not starve another clicker. Restarts and kills: kill.test.ts.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { bootServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { register } from "../../helpers/clients/clicker.ts";

describe("clicker /ws: durability", () => {
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
      const rf = await register(flood);
      const rc = await register(calm);
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

      // The server's connection lives in its database worker; a second one reads the same file (WAL).
      const db = new Database(s.server.ctx.store.path, { readonly: true });
      const row = db.query<{ n: number; d: number }, [string]>("SELECT count(*) AS n, count(DISTINCT ts) AS d FROM clicker_scores WHERE sender_id = ?").get(rf.id)!;
      db.close();
      expect(row).toEqual({ n: N, d: N });
    } finally {
      for (const c of clients) c.close();
      await s.stop();
    }
  });
});
