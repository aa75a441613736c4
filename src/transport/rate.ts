// Token bucket with strikes: `rate` tokens per second, at most `burst` banked. Pure; time is passed in.
//
// The policy (rate, burst, forgiveness window) is one object per endpoint; each client's bucket is
// four numbers that live inline in the object that owns them (a WsConn, a Socket.IO client), so
// an idle connection pays for no limiter objects of its own (docs/bench.md M1).

/** One client's bucket: the only per-client part of the limit. */
export interface Bucket {
  tokens: number;
  /** When tokens were last refilled. */
  last: number;
  /** Frames refused since the client last stayed under the limit for a whole window. */
  strikes: number;
  lastStrike: number;
}

/**
 * The common rule "over the limit: the error reply, then close 1008 if it continues"
 * (PROTOCOLS.md), shared by the WebSocket seam and the Socket.IO layer. Refusals ("strikes")
 * are forgiven only after a quiet window as long as refilling the whole burst (at least 1 s),
 * not by one accepted message: a client pacing itself above the sustained rate gets some
 * messages through and must still be closed.
 */
export class RatePolicy {
  private readonly windowMs: number;

  constructor(private readonly rate: number, readonly burst: number) {
    this.windowMs = Math.max(1000, (burst * 1000) / rate);
  }

  /** Sets a bucket to full (a new client starts with the whole burst). */
  fill(b: Bucket, now: number): void {
    b.tokens = this.burst;
    b.last = now;
    b.strikes = 0;
    b.lastStrike = -Infinity;
  }

  check(b: Bucket, now: number): "ok" | "refuse" | "close" {
    const refill = ((now - b.last) * this.rate) / 1000;
    b.last = now;
    b.tokens = Math.min(this.burst, b.tokens + refill);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return "ok";
    }
    if (now - b.lastStrike > this.windowMs) b.strikes = 0;
    b.lastStrike = now;
    return ++b.strikes > this.burst ? "close" : "refuse";
  }
}

/** A policy with one bucket of its own, for callers that limit a single client. */
export class RateLimiter implements Bucket {
  tokens = 0;
  last = 0;
  strikes = 0;
  lastStrike = -Infinity;
  private readonly policy: RatePolicy;

  constructor(rate: number, burst: number, now: number) {
    this.policy = new RatePolicy(rate, burst);
    this.policy.fill(this, now);
  }

  check(now: number): "ok" | "refuse" | "close" {
    return this.policy.check(this, now);
  }
}
