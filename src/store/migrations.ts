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
    // Clicker relay (PROTOCOLS.md §3): secret → id survives restarts; scores are stored before SCORED.
    // seq orders scores by arrival, since timestamps are device counters that wrap.
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
];
