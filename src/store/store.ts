// The main thread's side of the database (docs/architecture.md#data): the SQL runs in a worker
// thread (worker.ts) and waiting for it is waiting for a message, so a stalled disk never stops
// the event loop. remote(domain) gives a domain's store as an object whose methods return
// promises; health() says whether the database keeps up.
import { join } from "node:path";
import type { Logger } from "../log.ts";
import { DB_FILE } from "./db.ts";
import type { DomainName } from "./domains.ts";
import type { ToMain, ToWorker, WireError } from "./messages.ts";

/** A database call that failed: SQLite's code (SQLITE_FULL, SQLITE_IOERR…) when it has one. */
export class StoreError extends Error {
  constructor(readonly code: string | null, message: string) {
    super(message);
  }
  static from(e: WireError): StoreError {
    const err = new StoreError(e.code, e.message);
    err.name = e.name;
    return err;
  }
}

export interface StoreHealth {
  /** ok; degraded: the last call failed (disk full, I/O error) and none has succeeded since; stalled: a call has waited over STALL_MS. */
  status: "ok" | "degraded" | "stalled";
  /** Calls sent and not answered yet, and how long the oldest has waited (ms). */
  pending: number;
  oldest_ms: number;
  /** The last failure while degraded. */
  error: string | null;
}

/**
 * The worker's module: beside this file when run from source. Inside the executable the build
 * embeds it as a second entry point at src/store/worker.js under the bundle's root (scripts/build.ts),
 * and this module is part of the main bundle at that root.
 */
function workerUrl(): string {
  const inExecutable = import.meta.url.includes("/$bunfs/") || import.meta.url.includes("/~BUN/");
  return new URL(inExecutable ? "./src/store/worker.js" : "./worker.ts", import.meta.url).href;
}

/** A call unanswered this long marks the store as stalled (a frozen or very slow disk). */
export const STALL_MS = 2000;

interface Waiting {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  sent: number;
}

export class Store {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private readonly facts = new Map<string, Record<string, unknown>>();
  private failure: string | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly worker: Worker, readonly path: string, private readonly log: Logger) {}

  /** Start the worker, open and migrate the database; rejects when it cannot be opened. */
  static open(dataDir: string, log: Logger): Promise<Store> {
    const path = join(dataDir, DB_FILE);
    const worker = new Worker(workerUrl());
    const store = new Store(worker, path, log);
    return new Promise<Store>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<ToMain>) => {
        const m = e.data;
        if (m.type === "ready") {
          for (const [name, f] of Object.entries(m.facts)) store.facts.set(name, f);
          worker.onmessage = (ev: MessageEvent<ToMain>) => store.receive(ev.data);
          resolve(store);
        } else if (m.type === "failed") {
          void worker.terminate();
          reject(StoreError.from(m.error));
        } else if (m.type === "log") log[m.level](m.msg, m.fields);
      };
      worker.onerror = (e) => reject(new Error(`the database worker failed: ${e.message}`));
      worker.postMessage({ type: "open", path } satisfies ToWorker);
    });
  }

  private receive(m: ToMain): void {
    if (m.type === "log") return this.log[m.level](m.msg, m.fields);
    if (m.type !== "result") return;
    if (m.facts) this.facts.set(m.domain, m.facts);
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (m.ok) {
      if (this.failure) this.log.info("the database writes again", { after: this.failure });
      this.failure = null;
      w.resolve(m.value);
    } else {
      const failure = m.error.code ? `${m.error.code}: ${m.error.message}` : m.error.message;
      // Logged when it starts failing (or fails differently), not for every call that fails.
      if (failure !== this.failure) this.log.error("a database call failed", { error: failure });
      this.failure = failure;
      w.reject(StoreError.from(m.error));
    }
  }

  /** Call a method of a domain's store in the worker. */
  call(domain: DomainName, method: string, args: unknown[]): Promise<unknown> {
    if (this.closing) return Promise.reject(new StoreError(null, "the database is closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, sent: performance.now() });
      this.worker.postMessage({ type: "call", id, domain, method, args } satisfies ToWorker);
    });
  }

  /** A domain's store as an object: each method call is a message to the worker. */
  remote<T extends object>(domain: DomainName): T {
    return new Proxy({} as T, {
      get: (_t, method) => (typeof method === "string" ? (...args: unknown[]) => this.call(domain, method, args) : undefined),
    });
  }

  /** The last facts a domain's store sent (its gauges), read without a call. */
  factsOf(domain: DomainName): Record<string, unknown> {
    return this.facts.get(domain) ?? {};
  }

  health(): StoreHealth {
    let oldest = Infinity;
    for (const w of this.waiting.values()) oldest = Math.min(oldest, w.sent);
    const oldestMs = this.waiting.size ? Math.round(performance.now() - oldest) : 0;
    const status = oldestMs >= STALL_MS ? "stalled" : this.failure ? "degraded" : "ok";
    return { status, pending: this.waiting.size, oldest_ms: oldestMs, error: this.failure };
  }

  /**
   * Flush and close: calls already sent are answered first (the worker handles them in order),
   * then the WAL is checkpointed. Waits at most `ms` (a frozen disk must not hold up shutdown).
   */
  close(ms = 2000): Promise<void> {
    return (this.closing ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        void this.worker.terminate();
        resolve();
      };
      const t = setTimeout(() => {
        this.log.warn("database did not close in time; leaving it");
        done();
      }, ms);
      const prev = this.worker.onmessage;
      this.worker.onmessage = (e: MessageEvent<ToMain>) => {
        if (e.data.type === "closed") done();
        else prev?.call(this.worker, e);
      };
      this.worker.postMessage({ type: "close" } satisfies ToWorker);
    }));
  }
}
