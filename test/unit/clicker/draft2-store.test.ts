// The SQLite store with draft-2 scores (docs/clicker.md#draft-2, #missing-scores): retries keyed
// on (id, msgId), draft-1's (id, ts) rule untouched, gaps in msgIds recorded in the same commit,
// kept across restarts, and the migration of a draft-1 database.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { silentLogger } from "../../../src/log.ts";
import { CHUNK_ROWS, SqliteClickerStore, type ScoreRecord } from "../../../src/protocols/clicker/store.ts";
import { openLocalStore, type LocalStore } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { tempDir } from "../../helpers/server.ts";

let dir: string;
let db: LocalStore;
beforeEach(() => {
  dir = tempDir("switchboard-clicker-d2-");
  db = openLocalStore(dir, silentLogger, migrations);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Draft-2 scores of one id: [msgId, ts, score]. */
const d2 = (id: string, ...rows: Array<[number, number, number]>): ScoreRecord[] => rows.map(([m, ts, score]) => ({ id, msgId: BigInt(m), ts: BigInt(ts), score: BigInt(score) }));
const gapsOf = async (s: SqliteClickerStore, id: string) => {
  const g = (await s.gaps([id])).get(id)!;
  return { missing: Number(g.missing), highest: g.highest === null ? null : Number(g.highest), gaps: g.gaps.map(({ first, last }) => [Number(first), Number(last)]) };
};

describe("draft-2 retries", () => {
  test("a stored (id, msgId) is a retry whatever its timestamp; a new msgId is new even with a stored timestamp", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    expect(await s.saveScores(d2(id, [1, 100, 1], [2, 100, 2], [1, 555, 9]))).toEqual([true, true, false]);
    expect(await s.saveScores(d2(id, [2, 100, 2]))).toEqual([false]);
    // The first score of a msgId stays.
    const rows = db.db.query<{ msg_id: number; ts: number; score: number }, [string]>("SELECT msg_id, ts, score FROM clicker_scores WHERE sender_id = ? ORDER BY seq").all(id);
    expect(rows).toEqual([{ msg_id: 1, ts: 100, score: 1 }, { msg_id: 2, ts: 100, score: 2 }]);
    expect((await s.latest([id])).get(id)).toEqual({ id, ts: 100n, score: 2n });
  });

  test("draft-1 keeps its (id, ts) rule, and the two drafts' keys do not collide", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    expect(await s.saveScores([{ id, ts: 100n, score: 1n }, ...d2(id, [1, 100, 2]), { id, ts: 100n, score: 3n }, { id, ts: 101n, score: 4n }])).toEqual([true, true, false, true]);
    expect(await s.saveScores([{ id, ts: 100n, score: 5n }, ...d2(id, [1, 999, 6])])).toEqual([false, false]);
  });

  test("multi-row chunks with retries mixed in: reported per row, the first of a repeated msgId wins", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    const run = (from: number, n: number): Array<[number, number, number]> => Array.from({ length: n }, (_, i) => [from + i, 7, from + i]);
    expect(await s.saveScores(d2(id, ...run(1, CHUNK_ROWS + 3)))).toEqual(Array(CHUNK_ROWS + 3).fill(true));
    const batch = d2(id, [5, 0, 0], [CHUNK_ROWS + 10, 0, 1], [CHUNK_ROWS + 10, 0, 2], ...run(CHUNK_ROWS + 20, CHUNK_ROWS), [CHUNK_ROWS + 10, 0, 3], [6, 0, 0]);
    expect(await s.saveScores(batch)).toEqual([false, true, false, ...Array(CHUNK_ROWS).fill(true), false, false]);
    const score = db.db.query<{ score: number }, [string, number]>("SELECT score FROM clicker_scores WHERE sender_id = ? AND msg_id = ?");
    expect(score.get(id, CHUNK_ROWS + 10)?.score).toBe(1);
  });
});

describe("gaps in msgIds", () => {
  test("a skipped run is recorded; late scores fill it one msgId at a time, splitting it", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    await s.saveScores(d2(id, [1, 10, 1], [2, 20, 2]));
    expect(await gapsOf(s, id)).toEqual({ missing: 0, highest: 2, gaps: [] });
    await s.saveScores(d2(id, [7, 70, 3]));
    expect(await gapsOf(s, id)).toEqual({ missing: 4, highest: 7, gaps: [[3, 6]] });
    expect([s.missingScores, s.sendersWithGaps]).toEqual([4, 1]);
    await s.saveScores(d2(id, [5, 50, 4]));
    expect(await gapsOf(s, id)).toEqual({ missing: 3, highest: 7, gaps: [[3, 4], [6, 6]] });
    await s.saveScores(d2(id, [3, 30, 5], [10, 100, 6]));
    expect(await gapsOf(s, id)).toEqual({ missing: 4, highest: 10, gaps: [[4, 4], [6, 6], [8, 9]] });
    // A retry changes nothing; a repeat inside one batch counts once.
    await s.saveScores(d2(id, [10, 100, 6], [6, 60, 7], [6, 60, 7]));
    expect(await gapsOf(s, id)).toEqual({ missing: 3, highest: 10, gaps: [[4, 4], [8, 9]] });
    await s.saveScores(d2(id, [9, 90, 8], [4, 40, 9], [8, 80, 10]));
    expect(await gapsOf(s, id)).toEqual({ missing: 0, highest: 10, gaps: [] });
    expect([s.missingScores, s.sendersWithGaps]).toEqual([0, 0]);
    expect((await s.gaps()).size).toBe(0);
  });

  test("gaps inside one batch, per id; below the first msgId stored nothing is missing", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = ((await s.register(null))!).id;
    const b = ((await s.register(null))!).id;
    await s.saveScores([...d2(a, [37, 1, 1], [40, 2, 2]), ...d2(b, [1, 1, 1]), ...d2(a, [20, 3, 3]), ...d2(b, [3, 2, 2])]);
    expect(await gapsOf(s, a)).toEqual({ missing: 2, highest: 40, gaps: [[38, 39]] });
    expect(await gapsOf(s, b)).toEqual({ missing: 1, highest: 3, gaps: [[2, 2]] });
    expect([s.missingScores, s.sendersWithGaps]).toEqual([3, 2]);
    // No ids: every id with a gap. An id never seen: nothing missing, no msgId.
    expect([...(await s.gaps()).keys()].sort()).toEqual([a, b].sort());
    expect(await gapsOf(s, "999999")).toEqual({ missing: 0, highest: null, gaps: [] });
    // Draft-1 scores of an id never touch its gaps.
    await s.saveScores([{ id: b, ts: 50n, score: 5n }]);
    expect(await gapsOf(s, b)).toEqual({ missing: 1, highest: 3, gaps: [[2, 2]] });
  });

  test("gaps and totals survive closing and reopening; the highest msgId is read back from disk", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    await s.saveScores(d2(id, [1, 1, 1], [4, 4, 4]));
    db.close();
    db = openLocalStore(dir, silentLogger, migrations);
    const again = new SqliteClickerStore(db.db);
    expect([again.missingScores, again.sendersWithGaps]).toEqual([2, 1]);
    expect(await again.saveScores(d2(id, [4, 4, 4], [6, 6, 6]))).toEqual([false, true]);
    expect(await gapsOf(again, id)).toEqual({ missing: 3, highest: 6, gaps: [[2, 3], [5, 5]] });
  });

  test("a batch whose commit fails leaves gaps and totals as they were on disk", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    await s.saveScores(d2(id, [1, 1, 1]));
    // "000000" is never issued: its row breaks the foreign key and the whole transaction fails.
    await expect(s.saveScores([...d2(id, [9, 9, 9]), { id: "000000", ts: 1n, score: 1n }])).rejects.toThrow();
    expect([s.missingScores, s.sendersWithGaps]).toEqual([0, 0]);
    expect(await gapsOf(s, id)).toEqual({ missing: 0, highest: 1, gaps: [] });
    // The clicker retries: now it is stored, and the gap with it.
    expect(await s.saveScores(d2(id, [9, 9, 9]))).toEqual([true]);
    expect(await gapsOf(s, id)).toEqual({ missing: 7, highest: 9, gaps: [[2, 8]] });
  });
});

test("a draft-1 database (version 3) migrates: rows, seqs and retry detection kept, msgIds empty", async () => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
  db = openLocalStore(dir, silentLogger, migrations.filter((m) => m.version <= 3));
  // What the draft-1 store wrote: the scores and the latest one.
  db.db.exec(`INSERT INTO clicker_senders (id, secret_hash) VALUES ('000010', 'a');
              INSERT INTO clicker_scores (sender_id, ts, score) VALUES ('000010', 5, 1), ('000010', -4, 2);
              INSERT INTO clicker_latest (sender_id, ts, score) VALUES ('000010', -4, 2);`);
  const before = db.db.query("SELECT seq, sender_id, ts, score FROM clicker_scores ORDER BY seq").all();
  db.close();
  db = openLocalStore(dir, silentLogger, migrations);
  expect(db.db.query("SELECT seq, sender_id, ts, score FROM clicker_scores ORDER BY seq").all()).toEqual(before);
  expect(db.db.query("SELECT count(*) AS n FROM clicker_scores WHERE msg_id IS NOT NULL").get()).toEqual({ n: 0 });
  const s = new SqliteClickerStore(db.db);
  expect(await s.saveScores([{ id: "000010", ts: 5n, score: 9n }, ...d2("000010", [1, 5, 3])])).toEqual([false, true]);
  expect((await s.latest(["000010"])).get("000010")).toEqual({ id: "000010", ts: 5n, score: 3n });
});
