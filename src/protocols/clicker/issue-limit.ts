// How many new secrets (new ids) one client address may be issued (docs/clicker.md#caps): a token
// bucket per address holding `perMinute`, refilled at `perMinute` a minute, so a room full of
// clickers booting at once is served and a script minting ids is held to that pace. A REGISTER
// with a known secret takes nothing. Pure: time from the injected clock; memory bounded by maxKeys
// (past it the address seen least recently is forgotten, which only makes it start full again).
import type { Clock } from "../../transport/types.ts";

interface Bucket {
  tokens: number;
  at: number;
}

const MINUTE = 60_000;

export class IssueLimit {
  /** Insertion order = order of last use: the first entries are the stalest. */
  private readonly buckets = new Map<string, Bucket>();

  /** perMinute 0: no limit. */
  constructor(
    private readonly clock: Pick<Clock, "mono">,
    readonly perMinute: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** One new secret for this address now? Reserved when true; give it back if it was not needed. */
  take(ip: string): boolean {
    if (this.perMinute <= 0) return true;
    const b = this.bucket(ip);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** A reserved one was not used (the secret was known, or nothing could be issued). */
  giveBack(ip: string): void {
    if (this.perMinute <= 0) return;
    const b = this.buckets.get(ip);
    if (b) b.tokens = Math.min(this.perMinute, b.tokens + 1);
  }

  /** Whole seconds until this address may be issued one again (at least 1). */
  retryAfterS(ip: string): number {
    const b = this.buckets.get(ip);
    if (!b || this.perMinute <= 0) return 1;
    return Math.max(1, Math.ceil(((1 - b.tokens) * MINUTE) / this.perMinute / 1000));
  }

  private bucket(ip: string): Bucket {
    const now = this.clock.mono();
    let b = this.buckets.get(ip);
    if (b) {
      this.buckets.delete(ip); // re-inserted below: now the most recently used
      b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / MINUTE);
      b.at = now;
    } else {
      b = { tokens: this.perMinute, at: now };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(ip, b);
    return b;
  }
}
