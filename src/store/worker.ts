// The database worker thread (docs/architecture.md#data): it owns the SQLite connection, so a
// stalled disk (a frozen SD card) delays only the replies that wait for the database; the event
// loop that serves every socket never blocks on I/O. One call at a time, in the order sent.
import type { Database } from "bun:sqlite";
import { openDatabase, migrate } from "./db.ts";
import { domains, type Domain } from "./domains.ts";
import type { ToMain, ToWorker } from "./messages.ts";
import { wireError } from "./messages.ts";
import { migrations } from "./migrations.ts";

declare const self: Worker;
const send = (m: ToMain) => self.postMessage(m);

let db: Database | null = null;
let stores: Record<string, Record<string, (...args: unknown[]) => unknown> & Domain> = {};

const factsOf = (name: string): Record<string, unknown> | null => stores[name]?.facts?.() ?? null;
const allFacts = () => Object.fromEntries(Object.keys(stores).map((n) => [n, factsOf(n) ?? {}]));

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === "open") {
    try {
      db = openDatabase(m.path);
      migrate(db, migrations, { info: (msg, fields) => send({ type: "log", level: "info", msg, fields: fields ?? {} }) });
      stores = Object.fromEntries(Object.entries(domains).map(([name, make]) => [name, make(db!) as never]));
      send({ type: "ready", facts: allFacts() });
    } catch (err) {
      send({ type: "failed", error: wireError(err) });
    }
    return;
  }
  if (m.type === "close") {
    try {
      db?.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db?.close();
    } catch (err) {
      send({ type: "log", level: "warn", msg: "database close failed", fields: { err: wireError(err).message } });
    }
    db = null;
    send({ type: "closed" });
    return;
  }
  const store = stores[m.domain];
  try {
    const fn = store?.[m.method];
    if (typeof fn !== "function") throw new Error(`no method ${m.domain}.${m.method}`);
    const value = await fn.apply(store, m.args);
    send({ type: "result", id: m.id, ok: true, value, facts: factsOf(m.domain), domain: m.domain });
  } catch (err) {
    send({ type: "result", id: m.id, ok: false, error: wireError(err), facts: factsOf(m.domain), domain: m.domain });
  }
};
