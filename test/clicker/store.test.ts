import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { silentLogger } from "../../src/log.ts";
import { SqliteClickerStore } from "../../src/protocols/clicker/store.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { tempDir } from "../helpers/server.ts";

describe("clicker SQLite store", () => {
  let dir: string;
  let db: Store;
  beforeEach(() => {
    dir = tempDir("switchboard-clicker-store-");
    db = openStore(dir, silentLogger);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("issues 6-digit ids and 128-bit hex secrets; a known secret gets its id back", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = await s.register(null);
    expect(a.id).toMatch(/^\d{6}$/);
    expect(a.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(a.known).toBe(false);
    expect(await s.register(a.secret)).toEqual({ ...a, known: true });
    expect(await s.register(a.secret.toUpperCase())).toEqual({ ...a, known: true });
    // Only a hash of the secret is on disk.
    const raw = db.db.query<{ secret_hash: string }, []>("SELECT secret_hash FROM clicker_senders").get()!;
    expect(raw.secret_hash).not.toContain(a.secret);
  });

  test("a secret the server did not issue gets a fresh secret and id", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = await s.register(null);
    for (const unknown of ["made-up", "0".repeat(32), a.secret + "0"]) {
      const r = await s.register(unknown);
      expect(r.known).toBe(false);
      expect(r.secret).not.toBe(unknown);
      expect(r.id).not.toBe(a.id);
    }
  });

  test("ids stay unique when random picks run out: the smallest free id is taken", async () => {
    const s = new SqliteClickerStore(db.db, 0);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await s.register(null)).id);
    // 000000 is skipped: the RopeScore clicker displays it while it has no id.
    expect(ids).toEqual(["000001", "000002", "000003", "000004", "000005"]);
    db.db.query("INSERT INTO clicker_senders (id, secret_hash) VALUES ('000007', 'x')").run();
    expect((await s.register(null)).id).toBe("000006");
    expect((await s.register(null)).id).toBe("000008");
  });

  test("saveScores: one result per score, a repeated (id, ts) is not new and keeps the first score", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = await s.register(null);
    const other = (await s.register(null)).id;
    expect(await s.saveScores([{ id, ts: 1n, score: 1n }, { id, ts: 1n, score: 2n }, { id: other, ts: 1n, score: 3n }])).toEqual([true, false, true]);
    expect(await s.saveScores([{ id, ts: 1n, score: 9n }])).toEqual([false]);
    expect(await s.saveScores([])).toEqual([]);
    expect((await s.latest([id])).get(id)).toEqual({ id, ts: 1n, score: 1n });
  });

  test("latest is the last stored, not the largest timestamp (counters wrap)", async () => {
    const s = new SqliteClickerStore(db.db);
    const { id } = await s.register(null);
    await s.saveScores([{ id, ts: 4294967295n, score: 10n }]);
    await s.saveScores([{ id, ts: -3n, score: 11n }]);
    const got = await s.latest([id, "999999"]);
    expect(got.get(id)).toEqual({ id, ts: -3n, score: 11n });
    expect(got.has("999999")).toBe(false);
  });

  test("everything survives closing and reopening the database", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = await s.register(null);
    await s.saveScores([{ id: a.id, ts: 7n, score: 70n }]);
    db.close();
    db = openStore(dir, silentLogger);
    const again = new SqliteClickerStore(db.db);
    expect((await again.register(a.secret)).id).toBe(a.id);
    expect(await again.saveScores([{ id: a.id, ts: 7n, score: 70n }])).toEqual([false]);
    expect((await again.latest([a.id])).get(a.id)?.score).toBe(70n);
  });
});
