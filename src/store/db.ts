// The embedded database: one SQLite file in --data-dir, WAL mode, versioned migrations. Used by
// the database worker (worker.ts); tests of the SQL stores use it directly.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Migration } from "./migrations.ts";

export const DB_FILE = "switchboard.db";

export function openDatabase(path: string): Database {
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; FULL also survives power loss,
  // which matters on kiosk boards that get unplugged. A SCORED reply promises the score is on disk.
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

export function migrate(db: Database, migrations: Migration[], log: { info(msg: string, fields?: Record<string, unknown>): void }): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const row = db.query<{ v: number | null }, []>("SELECT max(version) AS v FROM schema_migrations").get();
  const current = row?.v ?? 0;
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version > current);
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
    })();
    log.info("database migrated", { version: m.version, name: m.name });
  }
  return pending.length ? pending[pending.length - 1]!.version : current;
}

/** The database opened on this thread (tests of the SQL stores, tools); the server uses Store (store.ts). */
export interface LocalStore {
  readonly db: Database;
  readonly path: string;
  close(): void;
}

export function openLocalStore(dataDir: string, log: { info(msg: string, fields?: Record<string, unknown>): void }, migrations: Migration[]): LocalStore {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DB_FILE);
  const db = openDatabase(path);
  migrate(db, migrations, log);
  let closed = false;
  return {
    db,
    path,
    close() {
      if (closed) return;
      closed = true;
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db.close();
    },
  };
}
