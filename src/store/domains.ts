// The stores that live in the database worker, by domain name. Each is constructed on the worker's
// Database; the main thread reaches its methods through Store.remote(domain). `facts()`, when a
// store has it, is sent back with every reply (numbers the main thread reads synchronously).
import type { Database } from "bun:sqlite";
import { SqliteScoreHistory } from "../protocols/clicker/history.ts";
import { SqliteClickerStore } from "../protocols/clicker/store.ts";

export interface Domain {
  facts?(): Record<string, unknown>;
}

export const domains = {
  clicker: (db: Database) => new SqliteClickerStore(db),
  clickerHistory: (db: Database) => new SqliteScoreHistory(db),
} satisfies Record<string, (db: Database) => object>;

export type DomainName = keyof typeof domains;
