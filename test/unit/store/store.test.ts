import { describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../../src/log.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { openLocalStore } from "../../../src/store/db.ts";
import { tempDir } from "../../helpers/temp.ts";

describe("store", () => {
  test("creates the data dir, uses WAL, applies migrations once", () => {
    const root = tempDir();
    const dir = join(root, "nested", "data");
    const migrations = [
      { version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER)" },
      { version: 2, name: "two", sql: "CREATE TABLE b (y INTEGER)" },
    ];
    let s = openLocalStore(dir, silentLogger, migrations);
    expect(existsSync(s.path)).toBe(true);
    expect(s.db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
    s.db.query("INSERT INTO a (x) VALUES (42)").run();
    s.close();
    // Reopen with one more migration: old data stays, only the new version runs.
    s = openLocalStore(dir, silentLogger, [...migrations, { version: 3, name: "three", sql: "ALTER TABLE a ADD COLUMN z TEXT" }]);
    expect(s.db.query<{ x: number }, []>("SELECT x FROM a").get()!.x).toBe(42);
    const versions = s.db.query<{ version: number }, []>("SELECT version FROM schema_migrations ORDER BY version").all();
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    s.close();
    rmSync(root, { recursive: true, force: true });
  });

  test("a failing migration is rolled back whole", () => {
    const dir = tempDir();
    expect(() => openLocalStore(dir, silentLogger, [{ version: 1, name: "bad", sql: "CREATE TABLE ok (x INTEGER); NOT SQL" }])).toThrow();
    const s = openLocalStore(dir, silentLogger, []);
    expect(s.db.query("SELECT name FROM sqlite_master WHERE name = 'ok'").get()).toBeNull();
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
