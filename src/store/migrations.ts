// Versioned schema migrations, applied in order, each in its own transaction.
// Append new versions; never edit one that has shipped.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "meta",
    sql: `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));`,
  },
  {
    // Clicker relay (docs/clicker.md#durability-and-throughput): secret → id survives restarts;
    // scores are stored before SCORED. seq orders scores by arrival, since timestamps are device
    // counters that wrap.
    version: 2,
    name: "clicker",
    sql: `CREATE TABLE clicker_senders (
            id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
          CREATE TABLE clicker_scores (
            seq INTEGER PRIMARY KEY,
            sender_id TEXT NOT NULL REFERENCES clicker_senders (id),
            ts INTEGER NOT NULL,
            score INTEGER NOT NULL,
            UNIQUE (sender_id, ts));
          CREATE INDEX clicker_scores_latest ON clicker_scores (sender_id, seq);`,
  },
  {
    // The latest score of each sender in a table of its own (one row per sender) instead of an
    // index over every score: a batch of scores from many clickers touched a leaf of that index
    // per clicker, and the index grows without bound, so each commit wrote hundreds of pages to
    // the WAL (about twice the system time per score, with many clickers scoring at once).
    // clicker_latest stays a few pages.
    version: 3,
    name: "clicker latest table",
    sql: `CREATE TABLE clicker_latest (
            sender_id TEXT PRIMARY KEY REFERENCES clicker_senders (id),
            ts INTEGER NOT NULL,
            score INTEGER NOT NULL) WITHOUT ROWID;
          INSERT INTO clicker_latest (sender_id, ts, score)
            SELECT s.sender_id, s.ts, s.score FROM clicker_scores s
            WHERE s.seq = (SELECT max(seq) FROM clicker_scores m WHERE m.sender_id = s.sender_id);
          DROP INDEX clicker_scores_latest;`,
  },
  {
    // Clicker draft-2 (docs/clicker.md#draft-2): a score may carry a msgId, its retry key, so
    // (sender_id, ts) is unique only among draft-1 scores (msg_id NULL) and (sender_id, msg_id)
    // among draft-2 ones. A table constraint cannot be dropped in SQLite, so clicker_scores is
    // rebuilt with the same seqs (they order scores by arrival). clicker_gaps holds the runs of
    // msgIds a sender skipped and has not sent yet, [first, last], one row per run.
    version: 4,
    name: "clicker draft-2 msgId",
    sql: `CREATE TABLE clicker_scores_v5 (
            seq INTEGER PRIMARY KEY,
            sender_id TEXT NOT NULL REFERENCES clicker_senders (id),
            ts INTEGER NOT NULL,
            score INTEGER NOT NULL,
            msg_id INTEGER);
          INSERT INTO clicker_scores_v5 (seq, sender_id, ts, score) SELECT seq, sender_id, ts, score FROM clicker_scores;
          DROP TABLE clicker_scores;
          ALTER TABLE clicker_scores_v5 RENAME TO clicker_scores;
          CREATE UNIQUE INDEX clicker_scores_ts ON clicker_scores (sender_id, ts) WHERE msg_id IS NULL;
          CREATE UNIQUE INDEX clicker_scores_msg_id ON clicker_scores (sender_id, msg_id) WHERE msg_id IS NOT NULL;
          CREATE TABLE clicker_gaps (
            sender_id TEXT NOT NULL REFERENCES clicker_senders (id),
            first INTEGER NOT NULL,
            last INTEGER NOT NULL,
            PRIMARY KEY (sender_id, first)) WITHOUT ROWID;`,
  },
  {
    // When each clicker score was stored, for the CSV export (docs/clicker.md#csv-export): Unix
    // ms, written by the store at commit time. Scores stored before this version have none (NULL).
    // A plain ADD COLUMN, so it applies to the scores table whatever other migrations did to it.
    version: 5,
    name: "clicker score received_at",
    sql: `ALTER TABLE clicker_scores ADD COLUMN received_at INTEGER;`,
  },
  {
    // Buzzer names (docs/buzzer.md#the-game): team names per pool and buzzer, kept across restarts.
    version: 6,
    name: "buzzer names",
    sql: `CREATE TABLE buzzer_names (
            pool TEXT NOT NULL,
            buzzer INTEGER NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (pool, buzzer)) WITHOUT ROWID;`,
  },
  {
    // When each clicker secret was last used (registered, or its connection ended), in ms since the
    // epoch: once the id space is nearly used up, the id of the secret unused longest is issued
    // again (docs/clicker.md#ids-issued-again). Existing secrets start from when they were made.
    version: 7,
    name: "clicker secrets last used",
    sql: `ALTER TABLE clicker_senders ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
          UPDATE clicker_senders SET last_used_at = CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER);
          CREATE INDEX clicker_senders_last_used ON clicker_senders (last_used_at);`,
  },
];
