// Gaps in draft-2 senders' msgIds (docs/clicker.md#missing-scores), kept by the SQLite store in
// the same transaction as the scores. A gap is a run of msgIds, [first, last], that a sender
// skipped: a score with a higher msgId is stored, these are not (yet). A score that arrives later
// with a msgId inside a gap fills that one msgId.
//
// The highest msgId stored per sender is cached, so a score whose msgId follows the last one (the
// usual case) costs a map lookup and no SQL. Changes made inside a transaction are staged and
// only become the cache when it commits, so a failed write leaves the cache as the disk is.
import type { Database, Statement } from "bun:sqlite";

/** A run of msgIds that are missing, first..last inclusive. */
export interface Gap {
  first: bigint;
  last: bigint;
}

export class GapBook {
  private readonly topOf: Statement<{ top: bigint | null }, [string]>;
  private readonly gapAt: Statement<Gap, [string, bigint]>;
  private readonly gapsOf: Statement<Gap, [string]>;
  private readonly insertGap: Statement<unknown, [string, bigint, bigint]>;
  private readonly deleteGap: Statement<unknown, [string, bigint]>;
  /** Highest stored msgId per sender (null: none yet), for the senders seen since start. */
  private readonly top = new Map<string, bigint | null>();
  /** Missing msgIds per sender, for every sender that has a gap. */
  private readonly missingBy = new Map<string, bigint>();
  private missingAll = 0n;
  private staged: { top: Map<string, bigint | null>; missing: Map<string, bigint> } | null = null;

  constructor(db: Database) {
    // safeIntegers: INTEGER columns come back as bigint, like the msgIds they are compared with.
    this.topOf = db.query<{ top: bigint | null }, [string]>("SELECT max(msg_id) AS top FROM clicker_scores WHERE sender_id = ? AND msg_id IS NOT NULL").safeIntegers(true);
    this.gapAt = db.query<Gap, [string, bigint]>("SELECT first, last FROM clicker_gaps WHERE sender_id = ?1 AND first <= ?2 ORDER BY first DESC LIMIT 1").safeIntegers(true);
    this.gapsOf = db.query<Gap, [string]>("SELECT first, last FROM clicker_gaps WHERE sender_id = ? ORDER BY first").safeIntegers(true);
    this.insertGap = db.query("INSERT INTO clicker_gaps (sender_id, first, last) VALUES (?, ?, ?)");
    this.deleteGap = db.query("DELETE FROM clicker_gaps WHERE sender_id = ? AND first = ?");
    const rows = db.query<{ id: string; n: bigint }, []>("SELECT sender_id AS id, sum(last - first + 1) AS n FROM clicker_gaps GROUP BY sender_id").safeIntegers(true).all();
    for (const { id, n } of rows) {
      this.missingBy.set(id, n);
      this.missingAll += n;
    }
  }

  /** msgIds missing in all, over every sender. */
  get missingScores(): bigint {
    return this.missingAll;
  }
  /** Senders with at least one gap. */
  get sendersWithGaps(): number {
    return this.missingBy.size;
  }
  missingOf(id: string): bigint {
    return this.missingBy.get(id) ?? 0n;
  }
  /** Ids that have at least one gap now. */
  withGaps(): string[] {
    return [...this.missingBy.keys()];
  }
  gaps(id: string): Gap[] {
    return this.gapsOf.all(id);
  }
  /** Read outside a write: not cached, so looking ids up (the gaps feed) leaves nothing behind. */
  highest(id: string): bigint | null {
    const top = this.top.get(id);
    return top !== undefined ? top : (this.topOf.get(id)?.top ?? null);
  }

  /** An id issued again to a new secret: its rows are gone (the caller deleted them), so is what is cached of it. */
  forget(id: string): void {
    this.top.delete(id);
    this.missingAll -= this.missingBy.get(id) ?? 0n;
    this.missingBy.delete(id);
  }

  /** Start staging (inside a write transaction, before any score of it is inserted). */
  begin(): void {
    this.staged = { top: new Map(), missing: new Map() };
  }

  /**
   * Reads what a batch's senders have stored so far, before its rows go in: afterwards max(msg_id)
   * would already count them.
   */
  prepare(ids: Iterable<string>): void {
    for (const id of ids) this.topFor(id);
  }

  /** A draft-2 score that was new (not a retry) has just been inserted. */
  stored(id: string, msgId: bigint): void {
    const s = this.staged!;
    const top = this.topFor(id);
    if (top === null || msgId > top) {
      if (top !== null && msgId > top + 1n) {
        this.insertGap.run(id, top + 1n, msgId - 1n);
        this.addMissing(id, msgId - 1n - top);
      }
      s.top.set(id, msgId);
      return;
    }
    // Below the highest and new, so inside a gap, or below the first msgId ever stored for this
    // id (an old score sent late): nothing was known to be missing there.
    const gap = this.gapAt.get(id, msgId);
    if (!gap || gap.last < msgId) return;
    this.deleteGap.run(id, gap.first);
    if (gap.first < msgId) this.insertGap.run(id, gap.first, msgId - 1n);
    if (msgId < gap.last) this.insertGap.run(id, msgId + 1n, gap.last);
    this.addMissing(id, -1n);
  }

  /** The transaction committed: what was staged is what the disk holds now. */
  commit(): void {
    const s = this.staged;
    this.staged = null;
    if (!s) return;
    for (const [id, top] of s.top) this.top.set(id, top);
    for (const [id, n] of s.missing) {
      this.missingAll += n - (this.missingBy.get(id) ?? 0n);
      if (n === 0n) this.missingBy.delete(id);
      else this.missingBy.set(id, n);
    }
  }

  /** The transaction rolled back: forget what was staged. */
  rollback(): void {
    this.staged = null;
  }

  private topFor(id: string): bigint | null {
    const staged = this.staged?.top;
    if (staged?.has(id)) return staged.get(id)!;
    let top = this.top.get(id);
    if (top === undefined) this.top.set(id, (top = this.topOf.get(id)?.top ?? null));
    return top;
  }

  private addMissing(id: string, delta: bigint): void {
    const s = this.staged!;
    s.missing.set(id, (s.missing.get(id) ?? this.missingBy.get(id) ?? 0n) + delta);
  }
}
