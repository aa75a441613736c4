// Token bucket: `rate` tokens per second, at most `burst` banked. Pure; time is passed in.
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly rate: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number): boolean {
    const refill = ((now - this.last) * this.rate) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + refill);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The common rule "over the limit: the error reply, then close 1008 if it continues"
 * (PROTOCOLS.md), shared by the WebSocket seam and the Socket.IO layer. Refusals ("strikes")
 * are forgiven only after a quiet window as long as refilling the whole burst (at least 1 s),
 * not by one accepted message: a client pacing itself above the sustained rate gets some
 * messages through and must still be closed.
 */
export class RateLimiter {
  private readonly bucket: TokenBucket;
  private strikes = 0;
  private lastStrike = -Infinity;
  private readonly windowMs: number;

  constructor(rate: number, private readonly burst: number, now: number) {
    this.bucket = new TokenBucket(rate, burst, now);
    this.windowMs = Math.max(1000, (burst * 1000) / rate);
  }

  check(now: number): "ok" | "refuse" | "close" {
    if (this.bucket.take(now)) return "ok";
    if (now - this.lastStrike > this.windowMs) this.strikes = 0;
    this.lastStrike = now;
    return ++this.strikes > this.burst ? "close" : "refuse";
  }
}
