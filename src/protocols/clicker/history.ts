// Every stored score of some clicker ids, read back in the order they were stored, a slice at a
// time (docs/clicker.md#csv-export). Behind an interface with promises, like ClickerStore, so a
// shared store can replace the SQLite one.
import type { Database, Statement } from "bun:sqlite";

export interface ScoreRow {
  /** Arrival order (clicker_scores.seq): what the export is sorted by. */
  seq: number;
  id: string;
  ts: bigint;
  score: bigint;
  /** When the commit holding it was written (Unix ms); null for scores stored before that was kept. */
  receivedAt: number | null;
}

export interface ScoreSlice {
  rows: ScoreRow[];
  /** Where the next slice starts (exclusive); the scan is done when it reaches `upTo`. */
  next: number;
}

export interface ScoreHistory {
  /** The newest seq now. An export reads up to it: what was stored when it began, not what comes in meanwhile. */
  lastSeq(): Promise<number>;
  /** Rows of `ids` with after < seq <= upTo, oldest first; a slice may be empty before the scan ends. */
  slice(ids: readonly string[], after: number, upTo: number): Promise<ScoreSlice>;
}

/** Rows returned per slice, and rows looked at per slice: each step stays short however large the table or sparse the ids. */
export const SLICE_ROWS = 2000;
export const SCAN_ROWS = 50_000;

export class SqliteScoreHistory implements ScoreHistory {
  private readonly last: Statement<{ n: number | bigint }, []>;
  private readonly rows: Statement<{ seq: bigint; id: string; ts: bigint; score: bigint; received_at: bigint | null }, [number, number, string, number]>;

  constructor(db: Database, private readonly sliceRows = SLICE_ROWS, private readonly scanRows = SCAN_ROWS) {
    this.last = db.query("SELECT coalesce(max(seq), 0) AS n FROM clicker_scores");
    // A range of the rowid (seq) walked in order, the ids tested per row: '+' keeps SQLite from
    // using the (sender_id, ts) index, which would need a sort of all those ids' rows per slice.
    // Ids come as one JSON array, so one prepared statement serves any number of them.
    this.rows = db
      .query<{ seq: bigint; id: string; ts: bigint; score: bigint; received_at: bigint | null }, [number, number, string, number]>(
        `SELECT seq, sender_id AS id, ts, score, received_at FROM clicker_scores
         WHERE seq > ?1 AND seq <= ?2 AND +sender_id IN (SELECT value FROM json_each(?3))
         ORDER BY seq LIMIT ?4`,
      )
      .safeIntegers(true);
  }

  async lastSeq(): Promise<number> {
    return Number(this.last.get()?.n ?? 0);
  }

  async slice(ids: readonly string[], after: number, upTo: number): Promise<ScoreSlice> {
    const hi = Math.min(upTo, after + this.scanRows);
    const raw = this.rows.all(after, hi, JSON.stringify(ids), this.sliceRows);
    const rows = raw.map((r) => ({ seq: Number(r.seq), id: r.id, ts: r.ts, score: r.score, receivedAt: r.received_at === null ? null : Number(r.received_at) }));
    // A full slice may have left rows of this window behind: go on from its last row.
    return { rows, next: rows.length === this.sliceRows ? rows[rows.length - 1]!.seq : hi };
  }
}
