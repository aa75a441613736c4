import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { silentLogger } from "../../../src/log.ts";
import { CHUNK_ROWS, SqliteClickerStore, type ScoreRecord } from "../../../src/protocols/clicker/store.ts";
import { openLocalStore, type LocalStore } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { tempDir } from "../../helpers/temp.ts";

describe("clicker SQLite store", () => {
  let dir: string;
  let db: LocalStore;
  beforeEach(() => {
    dir = tempDir("switchboard-clicker-store-");
    db = openLocalStore(dir, silentLogger, migrations);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("issues 6-digit ids and 128-bit hex secrets; a known secret gets its id back", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = (await s.register(null))!;
    expect(a.id).toMatch(/^\d{6}$/);
    expect(a.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(a.known).toBe(false);
    expect((await s.register(a.secret))!).toEqual({ ...a, known: true });
    expect((await s.register(a.secret.toUpperCase()))!).toEqual({ ...a, known: true });
    // Only a hash of the secret is on disk.
    const raw = db.db.query<{ secret_hash: string }, []>("SELECT secret_hash FROM clicker_senders").get()!;
    expect(raw.secret_hash).not.toContain(a.secret);
  });

  test("a secret the server did not issue gets a fresh secret and id", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = (await s.register(null))!;
    for (const unknown of ["made-up", "0".repeat(32), a.secret + "0"]) {
      const r = (await s.register(unknown))!;
      expect(r.known).toBe(false);
      expect(r.secret).not.toBe(unknown);
      expect(r.id).not.toBe(a.id);
    }
  });

  test("ids stay unique when random picks run out: the smallest free id is taken", async () => {
    const s = new SqliteClickerStore(db.db, { randomTries: 0 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(((await s.register(null))!).id);
    // 000000 is skipped: the RopeScore clicker displays it while it has no id.
    expect(ids).toEqual(["000001", "000002", "000003", "000004", "000005"]);
    db.db.query("INSERT INTO clicker_senders (id, secret_hash) VALUES ('000007', 'x')").run();
    expect(((await s.register(null))!).id).toBe("000006");
    expect(((await s.register(null))!).id).toBe("000008");
  });

  test("saveScores: one result per score, a repeated (id, ts) is not new and keeps the first score", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    const other = ((await s.register(null))!).id;
    expect(await s.saveScores([{ id, ts: 1n, score: 1n }, { id, ts: 1n, score: 2n }, { id: other, ts: 1n, score: 3n }])).toEqual([true, false, true]);
    expect(await s.saveScores([{ id, ts: 1n, score: 9n }])).toEqual([false]);
    expect(await s.saveScores([])).toEqual([]);
    expect((await s.latest([id])).get(id)).toEqual({ id, ts: 1n, score: 1n });
  });

  test("a large batch goes in as multi-row chunks: every row persisted once, retries and repeats reported per row", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = ((await s.register(null))!).id;
    const b = ((await s.register(null))!).id;
    const rows = (id: string, from: number, n: number, score = 1n): ScoreRecord[] => Array.from({ length: n }, (_, i) => ({ id, ts: BigInt(from + i), score }));
    // Sizes that are not a power of two, so the batch is cut into several chunk sizes.
    const first = [...rows(a, 0, CHUNK_ROWS + 5), ...rows(b, 0, 2 * CHUNK_ROWS + 3)];
    expect(await s.saveScores(first)).toEqual(first.map(() => true));
    // Stored retries in the middle of fresh rows, a repeat inside the same chunk, and a repeat of a
    // row from an earlier chunk of the same batch: only the first occurrence of a new key is new.
    const second = [
      ...rows(a, 1000, 3),
      ...rows(a, 10, 4, 99n), // stored above
      { id: b, ts: 5000n, score: 7n },
      { id: b, ts: 5000n, score: 8n }, // repeat within the chunk
      ...rows(b, 2000, CHUNK_ROWS),
      { id: b, ts: 5000n, score: 9n }, // repeat of a row in an earlier chunk
      { id: a, ts: 1001n, score: 9n },
    ];
    const want = [true, true, true, false, false, false, false, true, false, ...rows(b, 2000, CHUNK_ROWS).map(() => true), false, false];
    expect(await s.saveScores(second)).toEqual(want);
    // An all-retry batch.
    expect(await s.saveScores(first.slice(0, 9))).toEqual(first.slice(0, 9).map(() => false));
    const count = (id: string) => db.db.query<{ n: number; d: number }, [string]>("SELECT count(*) AS n, count(DISTINCT ts) AS d FROM clicker_scores WHERE sender_id = ?").get(id)!;
    expect(count(a)).toEqual({ n: CHUNK_ROWS + 5 + 3, d: CHUNK_ROWS + 5 + 3 });
    expect(count(b)).toEqual({ n: 2 * CHUNK_ROWS + 3 + 1 + CHUNK_ROWS, d: 2 * CHUNK_ROWS + 3 + 1 + CHUNK_ROWS });
    // The first score of a key stays; the latest stored is the last new row of the batch.
    const score = db.db.query<{ score: number }, [string, number]>("SELECT score FROM clicker_scores WHERE sender_id = ? AND ts = ?");
    expect(score.get(a, 10)?.score).toBe(1);
    expect(score.get(b, 5000)?.score).toBe(7);
    expect((await s.latest([a, b])).get(b)).toEqual({ id: b, ts: BigInt(2000 + CHUNK_ROWS - 1), score: 1n });
    expect((await s.latest([a])).get(a)).toEqual({ id: a, ts: 1002n, score: 1n });
  });

  test("scores keep the full signed 64-bit range in multi-row chunks", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    const edge = [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, -1n, 0n];
    expect(await s.saveScores(edge.map((v) => ({ id, ts: v, score: v })))).toEqual(edge.map(() => true));
    const back = db.db.query<{ ts: bigint; score: bigint }, [string]>("SELECT ts, score FROM clicker_scores WHERE sender_id = ? ORDER BY seq").safeIntegers(true).all(id);
    expect(back).toEqual(edge.map((v) => ({ ts: v, score: v })));
  });

  test("latest is the last stored, not the largest timestamp (counters wrap)", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = (await s.register(null))!;
    await s.saveScores([{ id, ts: 4294967295n, score: 10n }]);
    await s.saveScores([{ id, ts: -3n, score: 11n }]);
    const got = await s.latest([id, "999999"]);
    expect(got.get(id)).toEqual({ id, ts: -3n, score: 11n });
    expect(got.has("999999")).toBe(false);
  });

  test("everything survives closing and reopening the database", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = (await s.register(null))!;
    await s.saveScores([{ id: a.id, ts: 7n, score: 70n }]);
    db.close();
    db = openLocalStore(dir, silentLogger, migrations);
    const again = new SqliteClickerStore(db.db);
    expect(((await again.register(a.secret))!).id).toBe(a.id);
    expect(await again.saveScores([{ id: a.id, ts: 7n, score: 70n }])).toEqual([false]);
    expect((await again.latest([a.id])).get(a.id)?.score).toBe(70n);
  });

  test("a database written before the latest-score table (version 2) keeps every id's latest score", async () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    db = openLocalStore(dir, silentLogger, migrations.filter((m) => m.version <= 2));
    const add = db.db.query("INSERT INTO clicker_scores (sender_id, ts, score) VALUES (?, ?, ?)");
    db.db.exec("INSERT INTO clicker_senders (id, secret_hash) VALUES ('000010', 'a'), ('000020', 'b'), ('000030', 'c')");
    // Arrival order, not the timestamp, decides which score is the latest (counters wrap).
    for (const [id, ts, score] of [["000010", 5, 1], ["000020", 9, 2], ["000010", -4, 3], ["000020", 1, 4]] as const) add.run(id, ts, score);
    db.close();
    db = openLocalStore(dir, silentLogger, migrations);
    const s = new SqliteClickerStore(db.db);
    const got = await s.latest(["000010", "000020", "000030"]);
    expect([...got.values()]).toEqual([
      { id: "000010", ts: -4n, score: 3n },
      { id: "000020", ts: 1n, score: 4n },
    ]);
    // The old index is gone and new scores keep the table current.
    expect(db.db.query("SELECT name FROM sqlite_master WHERE name = 'clicker_scores_latest'").all()).toEqual([]);
    expect(await s.saveScores([{ id: "000030", ts: 1n, score: 5n }, { id: "000010", ts: -4n, score: 6n }])).toEqual([true, false]);
    expect((await s.latest(["000030", "000010"])).get("000010")).toEqual({ id: "000010", ts: -4n, score: 3n });
    expect((await s.latest(["000030"])).get("000030")).toEqual({ id: "000030", ts: 1n, score: 5n });
  });
});
