// Ids of the SQLite clicker store once the id space is nearly used up (docs/clicker.md#register):
// the id of the secret unused longest, and held by no connection, is issued again; its old secret
// then gets a fresh id, and its scores and gaps go. A tiny id space makes "nearly used up" quick.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { silentLogger } from "../../../src/log.ts";
import { SqliteClickerStore } from "../../../src/protocols/clicker/store.ts";
import { migrate, openLocalStore, type LocalStore } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { tempDir } from "../../helpers/temp.ts";

let dir: string;
let db: LocalStore;
let t: number;
/** Ids 000001..000010; from 5 issued on, ids are issued again. Time moves one ms a call. */
const store = () => new SqliteClickerStore(db.db, { randomTries: 0, idSpace: 11, reuseAt: 5, now: () => ++t });

beforeEach(() => {
  dir = tempDir("switchboard-clicker-ids-");
  db = openLocalStore(dir, silentLogger, migrations);
  t = 1000;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function five(s: SqliteClickerStore) {
  const regs = [];
  for (let i = 0; i < 5; i++) regs.push((await s.register(null))!);
  return regs;
}

describe("ids issued again when the space is nearly used up", () => {
  test("a new secret gets the id of the secret unused longest; that secret later gets a fresh id", async () => {
    const s = store();
    const [a, b, c, d, e] = await five(s);
    expect([a, b, c, d, e].map((r) => r!.id)).toEqual(["000001", "000002", "000003", "000004", "000005"]);
    for (const r of [c, a, b, d, e]) await s.release(r!.id); // c's connection ended first
    const f = (await s.register(null))!;
    expect(f).toEqual({ id: c!.id, secret: expect.stringMatching(/^[0-9a-f]{32}$/), known: false, reused: true });
    expect((await s.register(f.secret))!.id).toBe(c!.id); // the new secret holds it now
    const back = (await s.register(c!.secret))!; // the old one is no longer known
    expect(back.known).toBe(false);
    expect(back.id).toBe(a!.id); // the next unused longest
    expect((await s.register(b!.secret))!).toEqual({ id: b!.id, secret: b!.secret, known: true });
  });

  test("a secret in use keeps its id: ids held by a connection are never issued again; with none idle, nothing is issued", async () => {
    const s = store();
    const regs = await five(s);
    expect(await s.register(null)).toBeNull(); // all five live
    await s.release(regs[3]!.id);
    expect((await s.register(null))!.id).toBe(regs[3]!.id);
    expect(await s.register(null)).toBeNull();
    expect((await s.register(regs[0]!.secret))!.known).toBe(true); // a known secret still works
  });

  test("a REGISTER of a known secret is its use: it is the last to be issued again", async () => {
    const s = store();
    const regs = await five(s);
    for (const r of regs) await s.release(r.id);
    await s.register(regs[0]!.secret); // used again now
    await s.release(regs[0]!.id);
    expect((await s.register(null))!.id).toBe(regs[1]!.id);
  });

  test("the id's old scores, latest score and gaps go with it: the new device's scores are not taken as retries", async () => {
    const s = store();
    const regs = await five(s);
    const old = regs[0]!;
    await s.saveScores([{ id: old.id, ts: 7n, score: 1n }, { id: old.id, ts: 8n, score: 1n, msgId: 1n }, { id: old.id, ts: 9n, score: 1n, msgId: 5n }]);
    expect(s.missingScores).toBe(3);
    for (const r of regs) await s.release(r.id);
    const fresh = (await s.register(null))!;
    expect(fresh.id).toBe(old.id);
    expect(s.missingScores).toBe(0);
    expect((await s.latest([old.id])).size).toBe(0);
    expect((await s.gaps([old.id])).get(old.id)).toEqual({ missing: 0n, gaps: [], highest: null });
    expect(await s.saveScores([{ id: old.id, ts: 7n, score: 2n }, { id: old.id, ts: 8n, score: 2n, msgId: 1n }])).toEqual([true, true]);
  });

  test("below the threshold free ids are issued, never a used one; allowNew false issues nothing", async () => {
    const s = store();
    const a = (await s.register(null))!;
    await s.release(a.id);
    expect((await s.register(null))!.id).toBe("000002");
    expect(await s.register(null, false)).toBeNull();
    expect(await s.register("f".repeat(32), false)).toBeNull();
    expect((await s.register(a.secret, false))!.known).toBe(true);
  });

  test("a reopened store counts what is issued, and starts with no id in use", async () => {
    const regs = await five(store());
    const again = store();
    expect((await again.register(null))!.id).toBe(regs[0]!.id); // issued again at once: nothing is live after a restart
  });

  test("secrets made before this version were last used when they were made", () => {
    const dir2 = tempDir("switchboard-clicker-ids-old-");
    try {
      const old = openLocalStore(dir2, silentLogger, migrations.filter((m) => m.version < 6));
      old.db.query("INSERT INTO clicker_senders (id, secret_hash, created_at) VALUES ('000042', 'h', '2024-05-06T07:08:09.010Z')").run();
      migrate(old.db, migrations, silentLogger);
      const row = old.db.query<{ t: number }, []>("SELECT last_used_at AS t FROM clicker_senders").get()!;
      expect(row.t).toBe(Date.parse("2024-05-06T07:08:09.010Z"));
      old.close();
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
