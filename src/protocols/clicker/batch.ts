// Group commit of clicker scores (docs/clicker.md#durability-and-throughput): every SCORE that
// arrives in one event-loop turn, from any connection, goes into one batch; the batch is written in
// one transaction, and only then are its SCORED replies sent (each connection's run of them in one
// write) and its new scores handed on for their broadcasts. Pure: the store and the turn's end are
// injected.
import type { Logger } from "../../log.ts";
import type { Conn } from "../../transport/types.ts";
import { fmt, type Score } from "./codec.ts";
import { Says } from "./errors.ts";
import type { ClickerStore, ScoreRecord } from "./store.ts";

/** The database's own words for a failure (SQLite's code first), short. */
export const reason = (err: unknown) => {
  const e = err as { code?: unknown; message?: string };
  return (typeof e?.code === "string" ? e.code : e?.message ?? "storage error").slice(0, 80);
};

/** What a batch needs of the connection that sent a score. */
export interface Scorer {
  conn: Pick<Conn<any>, "send" | "cork">;
  closed: boolean;
  /** The last batch holding its scores, until that batch's replies have been sent. */
  batch: Batch | null;
}

/** A score waiting for its commit: the record the store writes, plus what its replies need. */
export interface Pending extends ScoreRecord {
  peer: Scorer;
  /** The parsed command: its timestamp as the client spelled it (for SCORED) and plain (for SCORE). */
  cmd: Score;
}

export interface Batch {
  items: Pending[];
  started: boolean;
  done: Promise<void>;
  resolve: () => void;
}

export const pending = (peer: Scorer, id: string, cmd: Score): Pending => ({ id, ts: cmd.ts, score: cmd.score, msgId: cmd.msgId ?? null, peer, cmd });

export interface BatchDeps {
  store: Pick<ClickerStore, "saveScores">;
  /** Runs fn after the messages of the current event-loop turn have been handled. */
  defer(fn: () => void): void;
  log: Logger;
  onError?(): void;
}

export class ScoreBatches {
  /** The batch taking this loop turn's scores, until it is committed. */
  filling: Batch | null = null;
  private readonly inflight = new Set<Promise<void>>();

  /** `stored`: a score that was new (not a retry), once its SCORED is sent. */
  constructor(
    private readonly deps: BatchDeps,
    private readonly stored: (item: Pending) => void,
  ) {}

  /** The batch of this turn, opened on first use and committed after the turn. */
  current(): Batch {
    if (this.filling) return this.filling;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const b: Batch = (this.filling = { items: [], started: false, done, resolve });
    this.deps.defer(() => this.flush(b));
    return b;
  }

  /** Commit whatever is waiting and wait for commits in flight (server shutdown). */
  async stop(): Promise<void> {
    if (this.filling) this.flush(this.filling);
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  private flush(batch: Batch): void {
    if (batch.started) return;
    batch.started = true;
    if (this.filling === batch) this.filling = null;
    const work = this.commit(batch).finally(() => {
      this.inflight.delete(work);
      for (const { peer } of batch.items) if (peer.batch === batch) peer.batch = null;
      batch.resolve();
    });
    this.inflight.add(work);
  }

  private async commit(batch: Batch): Promise<void> {
    let fresh: boolean[];
    try {
      fresh = await this.deps.store.saveScores(batch.items);
    } catch (err) {
      // No SCORED without a write: every waiting SCORE is told, so the clicker keeps the score and
      // sends it again later (docs/clicker.md#storage-errors); the next commit tries the disk anew.
      this.deps.log.debug("clicker: storing scores failed", { scores: batch.items.length, err: (err as Error).message });
      const reply = fmt.error("storage_unavailable", Says.notStored(reason(err)));
      for (const item of batch.items) if (!item.peer.closed) {
        this.deps.onError?.();
        item.peer.conn.send(reply);
      }
      return;
    }
    const { items } = batch;
    for (let from = 0; from < items.length; ) {
      // A run of one connection's scores: corked, their SCORED replies leave in one write
      // instead of one write (a syscall) each.
      const { conn } = items[from]!.peer;
      let to = from + 1;
      while (to < items.length && items[to]!.peer.conn === conn) to++;
      const run = from;
      // A lone reply gains nothing from corking (its send writes at once either way).
      if (conn.cork && to - from > 1) conn.cork(() => this.reply(items, fresh, run, to));
      else this.reply(items, fresh, run, to);
      from = to;
    }
  }

  /** SCORED for items[from, to), and each one that was new handed on. */
  private reply(items: Pending[], fresh: boolean[], from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const item = items[i]!;
      const { cmd } = item;
      item.peer.conn.send(cmd.msgStamp === undefined ? fmt.scored(cmd.stamp) : fmt.scored2(cmd.msgStamp, cmd.stamp));
      if (fresh[i]) this.stored(item);
    }
  }
}
