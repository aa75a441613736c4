// Slows down guessing of secrets (docs/socketio.md#access-control): failed authentication
// attempts are recorded per key (a client IP) in a sliding window; once a key has `freeFailures`
// failures in the window, every further attempt from it waits before it is answered, the wait
// doubling with each further failure up to `maxDelayMs`. Attempts of one key are also spaced: a
// second attempt that arrives while the first is still waiting is answered one step after it, so
// opening many connections in parallel does not multiply the rate.
// Pure: time comes from the injected clock; no timers of its own; memory is bounded by maxKeys.
import type { Clock } from "../transport/types.ts";

export interface ThrottleOptions {
  /** Failures in the window that are answered at once. */
  freeFailures: number;
  windowMs: number;
  /** The wait after freeFailures failures; doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Keys tracked at most; past it the least recently failed one is forgotten. */
  maxKeys: number;
}

export const defaultThrottle: ThrottleOptions = { freeFailures: 5, windowMs: 60_000, baseDelayMs: 250, maxDelayMs: 30_000, maxKeys: 10_000 };

interface Entry {
  /** Times (mono ms) of the latest failures, oldest first; at most `keep` of them. */
  failures: number[];
  /** When the last attempt that had to wait is answered (for spacing). */
  nextAt: number;
}

export class Throttle {
  /** Insertion order = order of the latest failure: the first entries are the stalest. */
  private readonly keys = new Map<string, Entry>();
  /** Failures kept per key: enough for the delay to reach its cap, no more. */
  private readonly keep: number;

  constructor(
    private readonly clock: Pick<Clock, "mono">,
    readonly opts: ThrottleOptions = defaultThrottle,
  ) {
    const steps = Math.ceil(Math.log2(Math.max(1, opts.maxDelayMs / Math.max(1, opts.baseDelayMs))));
    this.keep = opts.freeFailures + steps + 1;
  }

  /** Failures of key in the current window (counted up to the number kept). */
  failures(key: string): number {
    const e = this.keys.get(key);
    return e ? this.live(e, this.clock.mono()) : 0;
  }

  /** The wait one step adds for key now (0 while it is under freeFailures); reserves nothing. */
  delay(key: string): number {
    return this.step(this.failures(key));
  }

  /**
   * An attempt from key arrives now: how long to wait before answering it (0: at once). A wait
   * is reserved, so a later attempt arriving meanwhile is answered one step after this one.
   */
  attempt(key: string): number {
    const e = this.keys.get(key);
    if (!e) return 0;
    const now = this.clock.mono();
    const step = this.step(this.live(e, now));
    if (step === 0) return 0;
    e.nextAt = Math.max(now, e.nextAt) + step;
    return e.nextAt - now;
  }

  /** An attempt from key failed. */
  fail(key: string): void {
    const now = this.clock.mono();
    const e = this.keys.get(key) ?? { failures: [], nextAt: 0 };
    this.keys.delete(key); // re-inserted last: the map stays ordered by latest failure
    e.failures.push(now);
    if (e.failures.length > this.keep) e.failures.shift();
    this.keys.set(key, e);
    this.prune(now);
  }

  /** Keys tracked now (for tests and /metrics). */
  size(): number {
    return this.keys.size;
  }

  /** Forgets keys whose failures have all left the window (they would wait for nothing); caps the count. */
  prune(now = this.clock.mono()): void {
    for (const [key, e] of this.keys) {
      const last = e.failures.length ? e.failures[e.failures.length - 1]! : -Infinity;
      if (last > now - this.opts.windowMs && this.keys.size <= this.opts.maxKeys) break;
      this.keys.delete(key);
    }
  }

  private live(e: Entry, now: number): number {
    const since = now - this.opts.windowMs;
    while (e.failures.length && e.failures[0]! <= since) e.failures.shift();
    return e.failures.length;
  }

  private step(failures: number): number {
    const over = failures - this.opts.freeFailures;
    if (over < 0) return 0;
    return Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** over);
  }
}
