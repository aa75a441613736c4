// The live form of the operator status feed (docs/pages.md#the-status-feed): while at least one
// client watches, a snapshot is taken every `everyMs` and sent to every watcher when it differs
// from the last one sent (so a change reaches them within one period, and they get at most one
// snapshot per period); a new watcher gets the current snapshot at once; a heartbeat goes out every
// `heartbeatMs`. With nobody watching there is no timer and no work at all. Pure: time comes from
// the injected clock, watchers are a two-method interface (the HTTP side is routes.ts).
import type { StatusSnapshot } from "../pages/lib/status-types.ts";
import type { Clock } from "../transport/types.ts";

export interface Watcher {
  /** One event of the stream: its name and its data line (JSON). */
  send(event: "status" | "ping", data: string): void;
  /** The feed is shutting down: end the stream. */
  end(): void;
}

export interface FeedOptions {
  snapshot(): Promise<StatusSnapshot>;
  clock: Pick<Clock, "now" | "setTimer">;
  everyMs?: number;
  heartbeatMs?: number;
  /** A snapshot failed (a bug in some status()): logged, the feed goes on. */
  onError?(err: unknown): void;
}

export const FEED_EVERY_MS = 250;
export const FEED_HEARTBEAT_MS = 15_000;

/** What is compared between snapshots: everything but the clock readings that move by themselves. */
export function changeKey(s: StatusSnapshot): string {
  return JSON.stringify({ ...s, ts: 0, server: { ...s.server, uptime_s: 0 } });
}

export class StatusFeed {
  private readonly watchers = new Set<Watcher>();
  /** Watchers that have not had a snapshot yet. */
  private readonly fresh = new Set<Watcher>();
  private lastKey: string | null = null;
  private cancelTick: (() => void) | null = null;
  private cancelBeat: (() => void) | null = null;
  private taking = false;
  private closed = false;
  private readonly everyMs: number;
  private readonly heartbeatMs: number;

  constructor(private readonly o: FeedOptions) {
    this.everyMs = o.everyMs ?? FEED_EVERY_MS;
    this.heartbeatMs = o.heartbeatMs ?? FEED_HEARTBEAT_MS;
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Start watching; returns the function that stops it. */
  watch(w: Watcher): () => void {
    if (this.closed) {
      w.end();
      return () => {};
    }
    this.watchers.add(w);
    this.fresh.add(w);
    if (this.watchers.size === 1) this.beat();
    // The first snapshot at once (unless one is being taken: it will serve this watcher too).
    if (!this.taking) {
      this.cancelTick?.();
      this.cancelTick = null;
      void this.tick();
    }
    return () => this.unwatch(w);
  }

  /** Server stopping: end every stream, stop the timers, refuse new watchers. */
  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.end();
    this.watchers.clear();
    this.fresh.clear();
    this.stopTimers();
  }

  private unwatch(w: Watcher): void {
    this.watchers.delete(w);
    this.fresh.delete(w);
    if (this.watchers.size === 0) {
      this.stopTimers();
      this.lastKey = null; // the next watcher starts from a fresh comparison
    }
  }

  private stopTimers(): void {
    this.cancelTick?.();
    this.cancelBeat?.();
    this.cancelTick = this.cancelBeat = null;
  }

  private async tick(): Promise<void> {
    this.cancelTick = null;
    if (this.watchers.size === 0 || this.closed) return;
    this.taking = true;
    try {
      const s = await this.o.snapshot();
      const key = changeKey(s);
      const to = key === this.lastKey ? [...this.fresh] : [...this.watchers];
      this.lastKey = key;
      if (to.length) {
        const text = JSON.stringify(s);
        for (const w of to) if (this.watchers.has(w)) w.send("status", text);
      }
      this.fresh.clear();
    } catch (err) {
      this.o.onError?.(err);
    } finally {
      this.taking = false;
    }
    if (this.watchers.size > 0 && !this.closed) this.cancelTick = this.o.clock.setTimer(this.everyMs, () => void this.tick());
  }

  private beat(): void {
    this.cancelBeat = this.o.clock.setTimer(this.heartbeatMs, () => {
      const data = JSON.stringify({ ts: this.o.clock.now() });
      for (const w of this.watchers) w.send("ping", data);
      if (this.watchers.size > 0 && !this.closed) this.beat();
    });
  }
}
