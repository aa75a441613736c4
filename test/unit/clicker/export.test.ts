// The CSV export's pieces (docs/clicker.md#csv-export): the ids rule, the lines, the stream's
// slicing, and the SQLite side (received_at stamped at commit, rows read back in stored order).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { silentLogger } from "../../../src/log.ts";
import { CSV_HEADER, csvLine, csvStream, exportFileName, exportResponse, MAX_EXPORT_IDS, parseExportIds } from "../../../src/protocols/clicker/export.ts";
import { SqliteScoreHistory, type ScoreHistory, type ScoreRow } from "../../../src/protocols/clicker/history.ts";
import { SqliteClickerStore } from "../../../src/protocols/clicker/store.ts";
import { migrate, openLocalStore, type LocalStore } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { Database } from "bun:sqlite";
import { tempDir } from "../../helpers/temp.ts";

const row = (seq: number, id: string, ts: bigint, score: bigint, receivedAt: number | null = null): ScoreRow => ({ seq, id, ts, score, receivedAt });

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ text: string; chunks: number }> {
  let text = "";
  let chunks = 0;
  const dec = new TextDecoder();
  for await (const c of stream) {
    chunks++;
    text += dec.decode(c, { stream: true });
  }
  return { text, chunks };
}

describe("the ids parameter", () => {
  test("commas and spaces, repeats dropped in first-seen order", () => {
    expect(parseExportIds("000002, 000001 000002,,000003")).toEqual({ ids: ["000002", "000001", "000003"] });
  });
  test("missing, empty, not 6 digits, too many: a clear reason", () => {
    expect(parseExportIds(null)).toEqual({ error: "usage: /scores.csv?ids=<ids>, one or more 6-digit clicker ids separated by commas" });
    expect(parseExportIds(" , ")).toEqual({ error: expect.stringContaining("usage:") });
    expect(parseExportIds("000001,12345")).toEqual({ error: "ids are 6 digits, got 12345" });
    expect(parseExportIds("1234567")).toEqual({ error: "ids are 6 digits, got 1234567" });
    const many = Array.from({ length: MAX_EXPORT_IDS + 1 }, (_, i) => String(i + 1).padStart(6, "0")).join(",");
    expect(parseExportIds(many)).toEqual({ error: `at most ${MAX_EXPORT_IDS} ids per request, got ${MAX_EXPORT_IDS + 1}` });
    const most = Array.from({ length: MAX_EXPORT_IDS }, (_, i) => String(i + 1).padStart(6, "0")).join(",");
    expect((parseExportIds(most) as { ids: string[] }).ids.length).toBe(MAX_EXPORT_IDS);
  });
  test("a bad request is a 400 with the reason as text", async () => {
    const fake: ScoreHistory = { lastSeq: async () => 0, slice: async () => ({ rows: [], next: 0 }) };
    const r = exportResponse(new URL("http://x/scores.csv?ids=abc"), fake);
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await r.text()).toBe("ids are 6 digits, got abc\n");
  });
});

describe("lines and names", () => {
  test("CRLF lines, exact 64-bit values, received_at as ISO 8601 UTC or empty", () => {
    expect(CSV_HEADER).toBe("id,timestamp,score,received_at\r\n");
    expect(csvLine(row(1, "000123", -9223372036854775808n, 9223372036854775807n, Date.UTC(2025, 4, 17, 9, 30, 0, 123)))).toBe(
      "000123,-9223372036854775808,9223372036854775807,2025-05-17T09:30:00.123Z\r\n",
    );
    expect(csvLine(row(2, "000123", 5n, 0n, null))).toBe("000123,5,0,\r\n");
  });
  test("file names", () => {
    expect(exportFileName(["000001"])).toBe("scores-000001.csv");
    expect(exportFileName(["000001", "000002", "000003"])).toBe("scores-000001-000002-000003.csv");
    expect(exportFileName(["000001", "000002", "000003", "000004"])).toBe("scores-000001-and-3-more.csv");
  });
});

describe("the stream", () => {
  test("header first, then one chunk per non-empty slice, up to the seq it started at", async () => {
    const calls: [number, number][] = [];
    let last = 30;
    const fake: ScoreHistory = {
      lastSeq: async () => last,
      async slice(_ids, after, upTo) {
        calls.push([after, upTo]);
        last = 99; // a score stored during the export is not in it
        const next = Math.min(upTo, after + 10);
        // The window 10..20 has no rows of these ids.
        const rows = after === 10 ? [] : [row(after + 1, "000001", BigInt(after), 1n)];
        return { rows, next };
      },
    };
    const { text, chunks } = await readAll(csvStream(fake, ["000001"]));
    expect(text).toBe(CSV_HEADER + "000001,0,1,\r\n" + "000001,20,1,\r\n");
    expect(calls).toEqual([
      [0, 30],
      [10, 30],
      [20, 30],
    ]);
    expect(chunks).toBe(3);
  });
});

describe("SQLite: received_at and the history", () => {
  let dir: string;
  let db: LocalStore;
  beforeEach(() => {
    dir = tempDir("switchboard-clicker-export-");
    db = openLocalStore(dir, silentLogger, migrations);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("every score of one commit gets the commit's time; rows come back in stored order, only the chosen ids", async () => {
    let now = 1_747_474_200_000;
    const s = new SqliteClickerStore(db.db, { now: () => now });
    const a = ((await s.register(null))!).id;
    const b = ((await s.register(null))!).id;
    const c = ((await s.register(null))!).id;
    // 70 scores in one commit: more than one multi-row INSERT (64 rows each).
    const batch = Array.from({ length: 70 }, (_, i) => ({ id: i % 2 ? a : b, ts: BigInt(i), score: BigInt(i * 10) }));
    expect((await s.saveScores(batch)).every(Boolean)).toBe(true);
    now += 1500;
    // A retry (keeps the first row and its time), a new score, and a score of an id not asked for.
    expect(await s.saveScores([{ id: a, ts: 1n, score: 999n }, { id: a, ts: 1000n, score: -5n }, { id: c, ts: 1n, score: 1n }])).toEqual([false, true, true]);

    const h = new SqliteScoreHistory(db.db);
    const upTo = await h.lastSeq();
    expect(upTo).toBe(72);
    const { rows, next } = await h.slice([a, b], 0, upTo);
    expect(next).toBe(upTo);
    expect(rows.length).toBe(71);
    expect(rows.slice(0, 3).map(({ id, ts, score, receivedAt }) => ({ id, ts, score, receivedAt }))).toEqual([
      { id: b, ts: 0n, score: 0n, receivedAt: 1_747_474_200_000 },
      { id: a, ts: 1n, score: 10n, receivedAt: 1_747_474_200_000 },
      { id: b, ts: 2n, score: 20n, receivedAt: 1_747_474_200_000 },
    ]);
    expect(rows.at(-1)).toMatchObject({ id: a, ts: 1000n, score: -5n, receivedAt: 1_747_474_201_500 });
    expect(rows.map((r) => r.seq)).toEqual([...rows.map((r) => r.seq)].sort((x, y) => x - y));
  });

  test("slices: a bounded scan window and a bounded number of rows, resumed where they stopped", async () => {
    const s = new SqliteClickerStore(db.db);
    const a = ((await s.register(null))!).id;
    const b = ((await s.register(null))!).id;
    // 30 of b, then 25 of a, then 30 of b.
    await s.saveScores(Array.from({ length: 30 }, (_, i) => ({ id: b, ts: BigInt(i), score: 1n })));
    await s.saveScores(Array.from({ length: 25 }, (_, i) => ({ id: a, ts: BigInt(i), score: BigInt(i) })));
    await s.saveScores(Array.from({ length: 30 }, (_, i) => ({ id: b, ts: BigInt(100 + i), score: 1n })));
    const h = new SqliteScoreHistory(db.db, 10, 20);
    const upTo = await h.lastSeq();
    const got: number[] = [];
    const sizes: number[] = [];
    for (let after = 0; after < upTo; ) {
      const { rows, next } = await h.slice([a], after, upTo);
      expect(next).toBeGreaterThan(after);
      expect(rows.length).toBeLessThanOrEqual(10);
      sizes.push(rows.length);
      got.push(...rows.map((r) => Number(r.ts)));
      after = next;
    }
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // Windows of 20 seqs: 1-20 and 21-30 are b's alone (empty slices), then a's rows 10 at a time.
    expect(sizes[0]).toBe(0);
    expect(sizes.filter((n) => n === 10).length).toBe(2);
  });

  test("the migration: existing scores get a null received_at, new ones a time", async () => {
    const raw = new Database(`${dir}/old.db`, { create: true, strict: true });
    migrate(raw, migrations.filter((m) => m.version <= 3), silentLogger);
    raw.query("INSERT INTO clicker_senders (id, secret_hash) VALUES ('000007', 'h')").run();
    raw.query("INSERT INTO clicker_scores (sender_id, ts, score) VALUES ('000007', 1, 1)").run();
    migrate(raw, migrations, silentLogger);
    const s = new SqliteClickerStore(raw, { now: () => 1_700_000_000_000 });
    await s.saveScores([{ id: "000007", ts: 2n, score: 2n }]);
    const h = new SqliteScoreHistory(raw);
    const { rows } = await h.slice(["000007"], 0, await h.lastSeq());
    expect(rows.map((r) => [r.ts, r.receivedAt])).toEqual([
      [1n, null],
      [2n, 1_700_000_000_000],
    ]);
    raw.close();
  });
});
