// Buzzer names in the database (docs/buzzer.md#the-game): one row per pool and buzzer. It runs in
// the database worker (src/store/domains.ts); the game talks only to NameStore, whose methods
// return promises, through the worker's messages.
import type { Database, Statement } from "bun:sqlite";
import type { NameStore } from "./game.ts";

export class SqliteNameStore implements NameStore {
  private readonly select: Statement<{ name: string }, [string, number]>;
  private readonly upsert: Statement<unknown, [string, number, string]>;
  private readonly remove: Statement<unknown, [string, number]>;

  constructor(db: Database) {
    this.select = db.query("SELECT name FROM buzzer_names WHERE pool = ? AND buzzer = ?");
    this.upsert = db.query("INSERT INTO buzzer_names (pool, buzzer, name) VALUES (?, ?, ?) ON CONFLICT (pool, buzzer) DO UPDATE SET name = excluded.name");
    this.remove = db.query("DELETE FROM buzzer_names WHERE pool = ? AND buzzer = ?");
  }

  async get(pool: string, buzzer: number): Promise<string | null> {
    return this.select.get(pool, buzzer)?.name ?? null;
  }

  async set(pool: string, buzzer: number, name: string | null): Promise<void> {
    if (name === null) this.remove.run(pool, buzzer);
    else this.upsert.run(pool, buzzer, name);
  }
}
