// Scores stored since a given moment, per id (the operator console's "scores today", from local
// midnight: docs/pages.md#the-status-feed). Runs in the database worker beside the clicker store.
// The counts are kept between calls and only rows stored since the last call are read, so the feed
// costs a few rows per refresh however long the table grows.
import type { Database, Statement } from "bun:sqlite";

export interface Activity {
  id: string;
  /** Scores of this id stored at or after `since`. */
  today: number;
  /** Its most recently stored score, or null. */
  latest: { ts: bigint; score: bigint } | null;
}

type Latest = (id: string) => { ts: bigint; score: bigint } | null | undefined;

export class ScoresToday {
  private since = Number.NaN;
  /** Rows up to this seq are counted in `counts`. */
  private upTo = 0;
  private readonly counts = new Map<string, number>();
  private readonly maxSeq: Statement<{ seq: number | null }, []>;
  private readonly firstFrom: Statement<{ at: number | null }, [number]>;
  private readonly countRange: Statement<{ id: string; n: number }, [number, number, number]>;

  constructor(db: Database) {
    this.maxSeq = db.query("SELECT max(seq) AS seq FROM clicker_scores");
    this.firstFrom = db.query("SELECT received_at AS at FROM clicker_scores WHERE seq >= ? ORDER BY seq LIMIT 1");
    this.countRange = db.query("SELECT sender_id AS id, count(*) AS n FROM clicker_scores WHERE seq > ? AND seq <= ? AND received_at >= ? GROUP BY sender_id");
  }

  /** An id issued again: its old scores were deleted, so they no longer count. */
  forget(id: string): void {
    this.counts.delete(id);
  }

  /** Every id with a score stored at or after `since` (Unix ms), and every id of `ids`. */
  activity(since: number, ids: readonly string[], latestOf: Latest): Activity[] {
    const top = this.maxSeq.get()?.seq ?? 0;
    if (since !== this.since) {
      this.since = since;
      this.counts.clear();
      this.upTo = this.firstSeqFrom(since, top) - 1;
    }
    if (top > this.upTo) {
      for (const r of this.countRange.all(this.upTo, top, since)) this.counts.set(r.id, (this.counts.get(r.id) ?? 0) + r.n);
      this.upTo = top;
    }
    const out: Activity[] = [];
    for (const id of new Set([...this.counts.keys(), ...ids])) {
      const row = latestOf(id);
      out.push({ id, today: this.counts.get(id) ?? 0, latest: row ? { ts: row.ts, score: row.score } : null });
    }
    return out;
  }

  /**
   * The first seq stored at or after `since`. Rows are appended with the commit's time, so
   * received_at grows with seq (rows from before it was kept have none and come first), and a
   * binary search over seq finds the start of the day without an index on received_at.
   */
  private firstSeqFrom(since: number, top: number): number {
    let lo = 1;
    let hi = top + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const at = this.firstFrom.get(mid)?.at;
      if (at == null || at < since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
