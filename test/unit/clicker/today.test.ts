// "Scores today" in the clicker's SQLite store (docs/pages.md#the-status-feed): scores keep the
// time they were stored, counts per id since a moment, read incrementally, with rows from before
// received_at existed left out, and the latest score of each id.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { silentLogger } from "../../../src/log.ts";
import { SqliteClickerStore } from "../../../src/protocols/clicker/store.ts";
import type { Activity } from "../../../src/protocols/clicker/today.ts";
import { openLocalStore, type LocalStore } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { tempDir } from "../../helpers/temp.ts";

describe("clicker scores of today", () => {
  let dir: string;
  let db: LocalStore;
  let now = 1_000_000;
  let store: SqliteClickerStore;
  beforeEach(() => {
    dir = tempDir("switchboard-clicker-today-");
    db = openLocalStore(dir, silentLogger, migrations);
    store = new SqliteClickerStore(db.db, { now: () => now });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const score = (id: string, ts: number, s = 1) => store.saveScores([{ id, ts: BigInt(ts), score: BigInt(s) }]);

  test("every score is stored with its commit's time", async () => {
    const a = (await store.register(null))!.id;
    now = 5000;
    await store.saveScores([{ id: a, ts: 1n, score: 1n }, { id: a, ts: 2n, score: 2n, msgId: 7n }]);
    const rows = db.db.query<{ received_at: number }, []>("SELECT received_at FROM clicker_scores ORDER BY seq").all();
    expect(rows.map((r) => r.received_at)).toEqual([5000, 5000]);
  });

  test("counts since a moment per id, the latest of each, ids asked for that have none; new scores are added on the next call", async () => {
    const a = (await store.register(null))!.id;
    const b = (await store.register(null))!.id;
    const c = (await store.register(null))!.id;
    now = 100;
    await score(a, 1); // yesterday
    now = 200;
    await score(a, 2, 5);
    await score(b, 1, 3);
    await score(b, 2, 4);
    const today = async (ids: string[] = []) => (await store.activity(150, ids)).sort((x, y) => (x.id < y.id ? -1 : 1));
    const sorted = (list: Activity[]) => list.sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(await today([c])).toEqual(
      sorted([
        { id: a, today: 1, latest: { ts: 2n, score: 5n } },
        { id: b, today: 2, latest: { ts: 2n, score: 4n } },
        { id: c, today: 0, latest: null },
      ]),
    );
    now = 300;
    await score(a, 3, 6);
    await score(a, 3, 6); // a retry is not a new score
    expect((await today()).find((r) => r.id === a)).toEqual({ id: a, today: 2, latest: { ts: 3n, score: 6n } });
    // Another day: counted afresh from its start.
    expect(await store.activity(250, [])).toEqual([{ id: a, today: 1, latest: { ts: 3n, score: 6n } }]);
  });

  test("the start of the day is found among many rows; rows stored before received_at existed do not count", async () => {
    const a = (await store.register(null))!.id;
    for (let i = 0; i < 300; i++) {
      now = 1000 + i;
      await score(a, i);
    }
    db.db.exec("UPDATE clicker_scores SET received_at = NULL WHERE seq <= 50");
    const fresh = new SqliteClickerStore(db.db, { now: () => now });
    expect((await fresh.activity(1000 + 200, []))[0]!.today).toBe(100);
    expect((await fresh.activity(0, []))[0]!.today).toBe(250);
    expect(await fresh.activity(5000, [])).toEqual([]);
  });
});
