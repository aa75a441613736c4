// Which id a new clicker secret gets (docs/clicker.md#register), for the SQLite store. Ids are six
// digits, 000001..999999, picked at random; no two secrets ever hold the same id at once. Once the
// id space is nearly used up, the id of the secret unused for the longest time is issued again
// (the secret that held it is invalidated: a device presenting it later gets a fresh id, as the
// original protocol allows), skipping every id in use by a connection now: a REGISTER never finds
// the space exhausted while some id is idle.
import type { Database, Statement } from "bun:sqlite";
import { randomInt } from "node:crypto";

export interface IdOptions {
  /** Random ids to try before taking the smallest free one. */
  randomTries: number;
  /** Ids are 1 .. idSpace - 1 (tests make it small). */
  idSpace: number;
  /** From this many issued ids on, the least recently used id is issued again instead of a free one. */
  reuseAt: number;
}

export const ID_SPACE = 1_000_000;
export const defaultIdOptions: IdOptions = { randomTries: 32, idSpace: ID_SPACE, reuseAt: Math.floor(0.99 * (ID_SPACE - 1)) };

/**
 * 000000 is never issued: the RopeScore clicker firmware shows `#000000` while it has no id yet,
 * so a device holding that id would look unregistered.
 */
export const formatId = (n: number) => String(n).padStart(6, "0");

export class IdIssuer {
  /** Ids registered by a connection that has not ended yet (the relay says so: ClickerStore.release). */
  readonly live = new Set<string>();
  private issued: number;
  private readonly idTaken: Statement<{ n: number }, [string]>;
  private readonly firstFree: Statement<{ id: string | null }, []>;
  private readonly leastUsed: Statement<{ id: string }, []>;

  constructor(db: Database, readonly opts: IdOptions = defaultIdOptions) {
    const first = formatId(1);
    this.idTaken = db.query("SELECT count(*) AS n FROM clicker_senders WHERE id = ?");
    // The smallest id not yet issued (a fallback once random picks keep colliding).
    this.firstFree = db.query(
      `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM clicker_senders WHERE id = '${first}') THEN '${first}' ELSE
         (SELECT printf('%06d', CAST(a.id AS INTEGER) + 1) FROM clicker_senders a
          WHERE CAST(a.id AS INTEGER) + 1 < ${opts.idSpace}
            AND NOT EXISTS (SELECT 1 FROM clicker_senders b WHERE b.id = printf('%06d', CAST(a.id AS INTEGER) + 1))
          ORDER BY a.id LIMIT 1) END AS id`,
    );
    // Oldest use first (the index holds ties in insertion order).
    this.leastUsed = db.query("SELECT id FROM clicker_senders ORDER BY last_used_at");
    this.issued = db.query<{ n: number }, []>("SELECT count(*) AS n FROM clicker_senders").get()?.n ?? 0;
  }

  /**
   * The id for a new secret: a free one (random, so not guessable in sequence), or with the space
   * nearly used up the id of the secret unused longest that no connection holds (`reused`). null:
   * every id is held by a connection now.
   */
  pick(): { id: string; reused: boolean } | null {
    if (this.issued < this.opts.reuseAt) {
      const id = this.free();
      if (id !== null) return { id, reused: false };
    }
    for (const { id } of this.leastUsed.iterate()) if (!this.live.has(id)) return { id, reused: true };
    return null;
  }

  /** A free id was taken by a new secret. */
  took(): void {
    this.issued++;
  }

  private free(): string | null {
    for (let i = 0; i < this.opts.randomTries; i++) {
      const id = formatId(randomInt(1, this.opts.idSpace));
      if (this.idTaken.get(id)?.n === 0) return id;
    }
    return this.firstFree.get()?.id ?? null;
  }
}
