// Buzzer names in SQLite (docs/buzzer.md#the-game): per pool and buzzer, kept across restarts.
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createLogger } from "../../../src/log.ts";
import { SqliteNameStore } from "../../../src/protocols/buzzer/names.ts";
import { openLocalStore } from "../../../src/store/db.ts";
import { migrations } from "../../../src/store/migrations.ts";
import { tempDir } from "../../helpers/server.ts";

const log = createLogger({ level: "error", format: "text" });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("set, get, rename and clear, per pool and buzzer; names survive reopening the database", async () => {
  const dir = tempDir("names-");
  dirs.push(dir);
  let store = openLocalStore(dir, log, migrations);
  let names = new SqliteNameStore(store.db);
  expect(await names.get("/dev/ttyACM0", 1)).toBeNull();
  await names.set("/dev/ttyACM0", 1, "Quizzly Bears");
  await names.set("/dev/ttyACM0", 2, "Les Mots Dits");
  await names.set("phones", 1, "Ann");
  await names.set("/dev/ttyACM0", 2, "Sofa Kings"); // a rename replaces
  expect(await names.get("/dev/ttyACM0", 1)).toBe("Quizzly Bears");
  expect(await names.get("/dev/ttyACM0", 2)).toBe("Sofa Kings");
  expect(await names.get("phones", 1)).toBe("Ann");
  expect(await names.get("/dev/ttyACM1", 1)).toBeNull(); // another pool, same buzzer id
  await names.set("phones", 1, null);
  expect(await names.get("phones", 1)).toBeNull();
  await names.set("phones", 9, null); // clearing a name never set is fine
  store.close();

  store = openLocalStore(dir, log, migrations);
  names = new SqliteNameStore(store.db);
  expect(await names.get("/dev/ttyACM0", 2)).toBe("Sofa Kings");
  expect(await names.get("phones", 1)).toBeNull();
  const version = store.db.query<{ v: number }, []>("SELECT max(version) AS v FROM schema_migrations").get()!.v;
  expect(version).toBeGreaterThanOrEqual(5);
  store.close();
});
