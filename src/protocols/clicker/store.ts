// The clicker's durable registry (DESIGN.md "Data", "Planned next"): secret → id, and scores.
// The relay talks only to ClickerStore, whose methods return promises, so a Redis-backed
// implementation shared by several nodes can replace the SQLite one without touching the relay.
import type { Database, Statement } from "bun:sqlite";
import { createHash, randomBytes, randomInt } from "node:crypto";

export interface Registration {
  id: string;
  secret: string;
  /** true when the secret was known and its stored id came back. */
  known: boolean;
}

/** ts and score are signed 64-bit integers (§3 SCORE), exact as bigint. */
export interface ScoreRecord {
  id: string;
  ts: bigint;
  score: bigint;
}

export interface ClickerStore {
  /** §3 REGISTER: a secret this store issued → its id; anything else → a fresh secret and id. */
  register(secret: string | null): Promise<Registration>;
  /**
   * Stores a batch in one durable commit (group commit). Result[i] is true when scores[i] is new,
   * false when (id, ts) was already stored: a retry (§3), which keeps the first score.
   */
  saveScores(scores: readonly ScoreRecord[]): Promise<boolean[]>;
  /** The most recently stored score of each id that has one (not the largest timestamp: they wrap). */
  latest(ids: readonly string[]): Promise<Map<string, ScoreRecord>>;
}

/** Secrets the server issues: 128 random bits as lower-case hex (§3). */
const ISSUED = /^[0-9a-fA-F]{32}$/;
const ID_SPACE = 1_000_000;
/**
 * 000000 is never issued: the RopeScore clicker firmware shows `#000000` while it has no id yet,
 * so a device holding that id would look unregistered. Ids are 000001..999999.
 */
const FIRST_ID = "000001";
const RANDOM_TRIES = 32;

/** Only a hash of each secret is kept, so a copied database file does not hand out identities. */
const hashSecret = (secret: string) => createHash("sha256").update(secret.toLowerCase()).digest("hex");
const formatId = (n: number) => String(n).padStart(6, "0");

export class SqliteClickerStore implements ClickerStore {
  private readonly byHash: Statement<{ id: string }, [string]>;
  private readonly insertSender: Statement<unknown, [string, string]>;
  private readonly idTaken: Statement<{ n: number }, [string]>;
  private readonly firstFree: Statement<{ id: string | null }, []>;
  private readonly insertScore: Statement<unknown, [string, bigint, bigint]>;
  private readonly latestOf: Statement<{ ts: bigint; score: bigint }, [string]>;
  private readonly saveAll: (scores: readonly ScoreRecord[]) => boolean[];

  /** randomTries: random ids to try before taking the smallest free one. */
  constructor(db: Database, private readonly randomTries = RANDOM_TRIES) {
    this.byHash = db.query("SELECT id FROM clicker_senders WHERE secret_hash = ?");
    this.insertSender = db.query("INSERT INTO clicker_senders (id, secret_hash) VALUES (?, ?)");
    this.idTaken = db.query("SELECT count(*) AS n FROM clicker_senders WHERE id = ?");
    // The smallest 6-digit id not yet issued (a fallback once random picks keep colliding).
    this.firstFree = db.query(
      `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM clicker_senders WHERE id = '${FIRST_ID}') THEN '${FIRST_ID}' ELSE
         (SELECT printf('%06d', CAST(a.id AS INTEGER) + 1) FROM clicker_senders a
          WHERE CAST(a.id AS INTEGER) + 1 < ${ID_SPACE}
            AND NOT EXISTS (SELECT 1 FROM clicker_senders b WHERE b.id = printf('%06d', CAST(a.id AS INTEGER) + 1))
          ORDER BY a.id LIMIT 1) END AS id`,
    );
    this.insertScore = db.query("INSERT INTO clicker_scores (sender_id, ts, score) VALUES (?, ?, ?) ON CONFLICT (sender_id, ts) DO NOTHING");
    // safeIntegers: read INTEGER columns back as bigint, exact past 2^53.
    this.latestOf = db.query<{ ts: bigint; score: bigint }, [string]>("SELECT ts, score FROM clicker_scores WHERE sender_id = ? ORDER BY seq DESC LIMIT 1").safeIntegers(true);
    // One transaction per batch: with synchronous=FULL that is one fsync for the whole batch.
    this.saveAll = db.transaction((scores: readonly ScoreRecord[]) => scores.map((s) => this.insertScore.run(s.id, s.ts, s.score).changes === 1));
  }

  async register(secret: string | null): Promise<Registration> {
    if (secret !== null && ISSUED.test(secret)) {
      const row = this.byHash.get(hashSecret(secret));
      if (row) return { id: row.id, secret: secret.toLowerCase(), known: true };
    }
    const fresh = randomBytes(16).toString("hex");
    const id = this.freeId();
    this.insertSender.run(id, hashSecret(fresh));
    return { id, secret: fresh, known: false };
  }

  async saveScores(scores: readonly ScoreRecord[]): Promise<boolean[]> {
    return scores.length ? this.saveAll(scores) : [];
  }

  async latest(ids: readonly string[]): Promise<Map<string, ScoreRecord>> {
    const out = new Map<string, ScoreRecord>();
    for (const id of ids) {
      const row = this.latestOf.get(id);
      if (row) out.set(id, { id, ts: row.ts, score: row.score });
    }
    return out;
  }

  /** Random ids (not guessable in sequence); unique across every secret ever issued. */
  private freeId(): string {
    for (let i = 0; i < this.randomTries; i++) {
      const id = formatId(randomInt(1, ID_SPACE));
      if (this.idTaken.get(id)?.n === 0) return id;
    }
    const id = this.firstFree.get()?.id;
    if (!id) throw new Error("clicker: all 999,999 ids have been issued");
    return id;
  }
}
