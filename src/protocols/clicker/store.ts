// The clicker's durable registry (docs/architecture.md#data): secret → id, and scores.
// The relay talks only to ClickerStore, whose methods return promises, so a Redis-backed
// implementation shared by several nodes can replace the SQLite one without touching the relay.
import type { Database, Statement } from "bun:sqlite";
import { createHash, randomBytes } from "node:crypto";
import { GapBook, type Gap } from "./gaps.ts";
import { ScoresToday, type Activity } from "./today.ts";
import { defaultIdOptions, IdIssuer, type IdOptions } from "./ids.ts";

export type { Gap } from "./gaps.ts";

export interface Registration {
  id: string;
  secret: string;
  /** true when the secret was known and its stored id came back. */
  known: boolean;
  /** A new secret that got the id of the secret unused longest (the id space is nearly used up). */
  reused?: boolean;
}

/**
 * ts and score are signed 64-bit integers (docs/clicker.md#score), exact as bigint. msgId: a draft-2 score's
 * message id, its retry key; absent or null for draft-1, whose retry key is (id, ts).
 */
export interface ScoreRecord {
  id: string;
  ts: bigint;
  score: bigint;
  msgId?: bigint | null;
}

/** What a scoreboard shows of one draft-2 sender's msgIds (docs/clicker.md#missing-scores). */
export interface SenderGaps {
  /** msgIds skipped and not received yet. */
  missing: bigint;
  /** The runs of missing msgIds, lowest first. */
  gaps: Gap[];
  /** The highest msgId stored; null when the id never sent a draft-2 score. */
  highest: bigint | null;
}

export interface ClickerStore {
  /**
   * REGISTER (docs/clicker.md#register): a secret this store issued → its id; anything else → a
   * fresh secret and id, unless `allowNew` is false (the address had its share of new secrets:
   * docs/clicker.md#caps) or every id is held by a connection now: null.
   */
  register(secret: string | null, allowNew?: boolean): Promise<Registration | null>;
  /** The connection that registered this id has ended: the id is not in use now (its secret's last use). */
  release(id: string): Promise<void>;
  /**
   * Stores a batch in one durable commit (group commit). Result[i] is true when scores[i] is new,
   * false when it is a retry, which keeps the first score: a draft-1 score whose (id, ts) is
   * stored, a draft-2 score whose (id, msgId) is. Draft-2 gaps are updated in the same commit.
   */
  saveScores(scores: readonly ScoreRecord[]): Promise<boolean[]>;
  /** The most recently stored score of each id that has one (not the largest timestamp: they wrap). */
  latest(ids: readonly string[]): Promise<Map<string, ScoreRecord>>;
  /** The msgId gaps of these ids; with no ids, of every id that has a gap now. */
  gaps(ids?: readonly string[]): Promise<Map<string, SenderGaps>>;
}

/** Secrets the server issues: 128 random bits as lower-case hex (docs/clicker.md#register). */
const ISSUED = /^[0-9a-fA-F]{32}$/;

export interface StoreOptions extends Partial<IdOptions> {
  /**
   * The wall clock (Unix ms): when a secret was last used, and the received_at stamped on every
   * score of a commit (docs/clicker.md#csv-export).
   */
  now?: () => number;
}
/**
 * Rows per INSERT: a batch is written as a few multi-row statements (power-of-two sizes up to
 * this), not one statement per row. Each statement run crosses from JS into SQLite once, and that
 * crossing cost about as much as the row itself (counted in instructions per score under
 * callgrind). 64 rows = 192 parameters.
 */
export const CHUNK_ROWS = 64;

/** The VALUES list of an n-row INSERT of (id, ts, score). */
const rows = (n: number) => "(?, ?, ?), ".repeat(n).slice(0, -2);
/**
 * The VALUES list of an n-row INSERT of (id, ts, score, msg_id, received_at): the rows' 4n
 * parameters in order, then one more, ?(4n+1), that every row shares (the commit time).
 */
const rows5 = (n: number) => Array.from({ length: n }, (_, i) => `(?${4 * i + 1}, ?${4 * i + 2}, ?${4 * i + 3}, ?${4 * i + 4}, ?${4 * n + 1})`).join(", ");

/** The (id, ts, score) of each row of a clicker_scores INSERT's arguments (4 per row). */
function latestArgs(args: readonly (string | bigint | null)[], n: number): (string | bigint)[] {
  const out = new Array<string | bigint>(3 * n);
  for (let i = 0, j = 0, k = 0; i < n; i++, j++) {
    out[k++] = args[j++]!;
    out[k++] = args[j++]!;
    out[k++] = args[j++]!;
  }
  return out;
}

/** Only a hash of each secret is kept, so a copied database file does not hand out identities. */
const hashSecret = (secret: string) => createHash("sha256").update(secret.toLowerCase()).digest("hex");

export class SqliteClickerStore implements ClickerStore {
  private readonly byHash: Statement<{ id: string }, [string]>;
  private readonly insertSender: Statement<unknown, [string, string, number]>;
  private readonly touch: Statement<unknown, [number, string]>;
  private readonly ids: IdIssuer;
  private readonly now: () => number;
  /** An id issued again: its old secret, scores and gaps go (docs/clicker.md#register). */
  private readonly reissue: (id: string, hash: string, at: number) => void;
  /** INSERT of 2^k rows at index k, prepared on first use. */
  private readonly insertRows: Statement<unknown, (string | bigint | number | null)[]>[] = [];
  /** The same for clicker_latest: 2^k (id, ts, score) rows, the last row of an id wins. */
  private readonly latestRows: Statement<unknown, (string | bigint)[]>[] = [];
  /** The seq of a stored draft-1 score by (id, ts), and of a draft-2 one by (id, msgId). */
  private readonly seqOfTs: Statement<{ seq: number }, [string, bigint]>;
  private readonly seqOfMsg: Statement<{ seq: number }, [string, bigint]>;
  private readonly book: GapBook;
  private readonly latestOf: Statement<{ id: string; ts: bigint; score: bigint }, [string]>;
  private readonly saveAll: (scores: readonly ScoreRecord[]) => boolean[];

  private readonly today: ScoresToday;

  constructor(db: Database, opts: StoreOptions = {}) {
    const { now = Date.now, ...ids } = opts;
    this.now = now;
    this.ids = new IdIssuer(db, { ...defaultIdOptions, ...ids });
    this.today = new ScoresToday(db);
    this.byHash = db.query("SELECT id FROM clicker_senders WHERE secret_hash = ?");
    this.insertSender = db.query("INSERT INTO clicker_senders (id, secret_hash, last_used_at) VALUES (?, ?, ?)");
    this.touch = db.query("UPDATE clicker_senders SET last_used_at = ? WHERE id = ?");
    const wipe = ["DELETE FROM clicker_scores WHERE sender_id = ? AND msg_id IS NULL", "DELETE FROM clicker_scores WHERE sender_id = ? AND msg_id IS NOT NULL", "DELETE FROM clicker_latest WHERE sender_id = ?", "DELETE FROM clicker_gaps WHERE sender_id = ?"].map((q) => db.query<unknown, [string]>(q));
    const rehash = db.query<unknown, [string, number, string]>("UPDATE clicker_senders SET secret_hash = ?, last_used_at = ?, created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
    // Two deletes of the scores: each is served by one of the partial indexes of the retry keys.
    this.reissue = db.transaction((id: string, hash: string, at: number) => {
      for (const q of wipe) q.run(id);
      rehash.run(hash, at, id);
    });
    this.seqOfTs = db.query("SELECT seq FROM clicker_scores WHERE sender_id = ? AND ts = ? AND msg_id IS NULL");
    this.seqOfMsg = db.query("SELECT seq FROM clicker_scores WHERE sender_id = ? AND msg_id = ?");
    this.book = new GapBook(db);
    // safeIntegers: read INTEGER columns back as bigint, exact past 2^53.
    // One statement for the ids of a LISTEN (a JSON array), not one per id.
    this.latestOf = db
      .query<{ id: string; ts: bigint; score: bigint }, [string]>("SELECT sender_id AS id, ts, score FROM clicker_latest WHERE sender_id IN (SELECT value FROM json_each(?))")
      .safeIntegers(true);
    // One transaction per batch: with synchronous=FULL that is one fsync for the whole batch.
    this.saveAll = db.transaction((scores: readonly ScoreRecord[]) => {
      // Draft-2 senders' highest msgIds are read before this batch's rows go in.
      let draft2: Set<string> | null = null;
      for (const s of scores) if (s.msgId != null) (draft2 ??= new Set()).add(s.id);
      if (draft2) this.book.prepare(draft2);
      const fresh = new Array<boolean>(scores.length);
      // One time for the whole commit: these scores became durable together.
      const receivedAt = this.now();
      for (let at = 0, left = scores.length; left > 0; ) {
        let n = CHUNK_ROWS;
        while (n > left) n >>= 1;
        this.insertChunk(db, scores, at, n, fresh, receivedAt);
        at += n;
        left -= n;
      }
      if (draft2) for (let i = 0; i < scores.length; i++) if (fresh[i] && scores[i]!.msgId != null) this.book.stored(scores[i]!.id, scores[i]!.msgId!);
      return fresh;
    });
  }

  /** The gauges' numbers, sent to the main thread with every reply of the database worker. */
  facts(): { missingScores: number; sendersWithGaps: number } {
    return { missingScores: this.missingScores, sendersWithGaps: this.sendersWithGaps };
  }

  /** msgIds missing in all, and how many ids miss some (the /metrics gauges; read without I/O). */
  get missingScores(): number {
    return Number(this.book.missingScores);
  }
  get sendersWithGaps(): number {
    return this.book.sendersWithGaps;
  }

  /** Inserts scores[at .. at+n) in one statement and sets fresh[i] for each of them. */
  private insertChunk(db: Database, scores: readonly ScoreRecord[], at: number, n: number, fresh: boolean[], receivedAt: number): void {
    const k = 31 - Math.clz32(n);
    // No conflict target: a row is skipped when it breaks either retry key (draft-1's (id, ts)
    // or draft-2's (id, msgId); each is a partial unique index).
    const insert = (this.insertRows[k] ??= db.prepare(`INSERT INTO clicker_scores (sender_id, ts, score, msg_id, received_at) VALUES ${rows5(n)} ON CONFLICT DO NOTHING`));
    const args = new Array<string | bigint | null>(4 * n);
    for (let i = 0, j = 0; i < n; i++) {
      const s = scores[at + i]!;
      args[j++] = s.id;
      args[j++] = s.ts;
      args[j++] = s.score;
      args[j++] = s.msgId ?? null;
    }
    const { changes, lastInsertRowid } = insert.run(...args, receivedAt);
    // All new (the usual case) or all retries: nothing to look up.
    if (changes === n || changes === 0) {
      fresh.fill(changes === n, at, at + n);
      // Rows are upserted in order, so each id keeps its last new score of the chunk.
      if (changes === n) this.setLatest(db, k).run(...latestArgs(args, n));
      return;
    }
    // Some rows were retries. SQLite gives each new row the table's largest seq + 1 (rows go only
    // when an id is issued again, which never makes a row left above a new one), so the rows this
    // statement inserted hold the seqs above `before`; every older row is at or below it. Of two rows in this chunk with the same key, the first won.
    const before = Number(lastInsertRowid) - changes;
    const claimed = new Set<number>();
    for (let i = at; i < at + n; i++) {
      const s = scores[i]!;
      const seq = (s.msgId == null ? this.seqOfTs.get(s.id, s.ts) : this.seqOfMsg.get(s.id, s.msgId))?.seq ?? 0;
      fresh[i] = seq > before && !claimed.has(seq);
      claimed.add(seq);
      if (fresh[i]) this.setLatest(db, 0).run(s.id, s.ts, s.score);
    }
  }

  /** The upsert of 2^k rows into clicker_latest, prepared on first use. */
  private setLatest(db: Database, k: number): Statement<unknown, (string | bigint)[]> {
    return (this.latestRows[k] ??= db.prepare(
      `INSERT INTO clicker_latest (sender_id, ts, score) VALUES ${rows(1 << k)} ON CONFLICT (sender_id) DO UPDATE SET ts = excluded.ts, score = excluded.score`,
    ));
  }

  async register(secret: string | null, allowNew = true): Promise<Registration | null> {
    if (secret !== null && ISSUED.test(secret)) {
      const row = this.byHash.get(hashSecret(secret));
      if (row) {
        this.used(row.id);
        this.ids.live.add(row.id);
        return { id: row.id, secret: secret.toLowerCase(), known: true };
      }
    }
    if (!allowNew) return null;
    const pick = this.ids.pick();
    if (!pick) return null;
    const fresh = randomBytes(16).toString("hex");
    if (pick.reused) {
      this.reissue(pick.id, hashSecret(fresh), this.now());
      this.today.forget(pick.id);
      this.book.forget(pick.id);
    } else {
      this.insertSender.run(pick.id, hashSecret(fresh), this.now());
      this.ids.took();
    }
    this.ids.live.add(pick.id);
    return pick.reused ? { id: pick.id, secret: fresh, known: false, reused: true } : { id: pick.id, secret: fresh, known: false };
  }

  async release(id: string): Promise<void> {
    this.ids.live.delete(id);
    this.used(id);
  }

  /**
   * Records a secret's last use. A failure (a full disk) is not the registration's: a known secret
   * is still answered, and the time is only a hint for which id to issue again first.
   */
  private used(id: string): void {
    try {
      this.touch.run(this.now(), id);
    } catch {
      // the next use records it
    }
  }

  async saveScores(scores: readonly ScoreRecord[]): Promise<boolean[]> {
    if (!scores.length) return [];
    this.book.begin();
    try {
      const fresh = this.saveAll(scores);
      this.book.commit();
      return fresh;
    } catch (err) {
      this.book.rollback();
      throw err;
    }
  }

  async gaps(ids?: readonly string[]): Promise<Map<string, SenderGaps>> {
    const out = new Map<string, SenderGaps>();
    for (const id of ids ?? this.book.withGaps()) {
      out.set(id, { missing: this.book.missingOf(id), gaps: this.book.gaps(id), highest: this.book.highest(id) });
    }
    return out;
  }

  /** The operator console's clicker devices (docs/pages.md#the-status-feed). */
  async activity(since: number, ids: readonly string[]): Promise<Activity[]> {
    return this.today.activity(since, ids, (id) => this.latestOf.all(JSON.stringify([id]))[0] ?? null);
  }

  async latest(ids: readonly string[]): Promise<Map<string, ScoreRecord>> {
    const out = new Map<string, ScoreRecord>();
    if (ids.length === 0) return out;
    for (const row of this.latestOf.all(JSON.stringify(ids))) out.set(row.id, { id: row.id, ts: row.ts, score: row.score });
    return out;
  }
}
