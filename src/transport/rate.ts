// Rate limits (docs/common.md#rate-limit). Pure; time is passed in.
//
// WebSocket endpoints delay rather than drop (the way nginx's limit_req with a burst and without
// nodelay does): a token bucket refills at `rate` units per second up to `burst`; a message that
// finds no token waits in its connection's queue and is handled, in order, as tokens come. Only a
// client whose queue is full (too many messages or bytes waiting) gets the protocol's error reply
// and is closed with 1008. A unit of work is a frame, a control frame, or, where a frame carries
// several requests (a JSON-RPC batch), each of them. The bucket and the queue are fields of the
// connection that owns them, so an idle connection pays for no limiter objects of its own.
// /socket.io/ applies the same policy per Engine.IO session, packet by packet, on either transport
// (src/socketio/engine/gate.ts).

/** One connection's bucket and queue. D: what waits (a frame; an Engine.IO packet on /socket.io/). */
export interface Metered<D = string | Uint8Array | null> {
  tokens: number;
  /** When tokens were last refilled. */
  refilledAt: number;
  /** Messages waiting for tokens, oldest first; null while nothing waits. */
  waiting: Waiting<D>[] | null;
  waitingBytes: number;
}

/** A message waiting for its tokens: its frame (null for a control frame, already answered) and cost. */
export interface Waiting<D = string | Uint8Array | null> {
  data: D;
  cost: number;
  bytes: number;
}

export interface RateLimits {
  /** Units per second, sustained. */
  rate: number;
  /** Units that may come at once. */
  burst: number;
  /** Messages and bytes that may wait per connection before it is refused and closed. */
  queueMessages: number;
  queueBytes: number;
}

/** Refills add fractions of a token: allow for the rounding of their sum. */
const ONE = 1 - 1e-9;

export class RatePolicy {
  constructor(readonly limits: RateLimits) {}

  /** A new connection starts with the whole burst. */
  fill<D>(m: Metered<D>, now: number): void {
    m.tokens = this.limits.burst;
    m.refilledAt = now;
    m.waiting = null;
    m.waitingBytes = 0;
  }

  private refill<D>(m: Metered<D>, now: number): void {
    m.tokens = Math.min(this.limits.burst, m.tokens + ((now - m.refilledAt) * this.limits.rate) / 1000);
    m.refilledAt = now;
  }

  /**
   * May a message of this cost be handled now? Yes when nothing is waiting ahead of it and a token
   * is there; it then takes its whole cost (the bucket may go below zero: a batch larger than the
   * burst is handled, and what follows waits until the debt is paid).
   */
  admit<D>(m: Metered<D>, now: number, cost: number): boolean {
    if (m.waiting !== null) return false;
    this.refill(m, now);
    if (m.tokens < ONE) return false;
    m.tokens -= cost;
    return true;
  }

  /** Queue a message that was not admitted; false when the queue is full (refuse and close). */
  enqueue<D>(m: Metered<D>, w: Waiting<D>): boolean {
    const q = (m.waiting ??= []);
    if (q.length >= this.limits.queueMessages || m.waitingBytes + w.bytes > this.limits.queueBytes) {
      if (q.length === 0) m.waiting = null;
      return false;
    }
    q.push(w);
    m.waitingBytes += w.bytes;
    return true;
  }

  /** The next waiting message whose turn has come, taken off the queue; null when it must wait on. */
  next<D>(m: Metered<D>, now: number): Waiting<D> | null {
    const q = m.waiting;
    if (!q) return null;
    this.refill(m, now);
    if (m.tokens < ONE) return null;
    const w = q.shift()!;
    m.tokens -= w.cost;
    m.waitingBytes -= w.bytes;
    if (q.length === 0) m.waiting = null;
    return w;
  }

  /** How long until the head of the queue may go (ms). */
  waitMs<D>(m: Metered<D>): number {
    return Math.max(1, Math.ceil(((1 - m.tokens) * 1000) / this.limits.rate));
  }
}

/** The words of every protocol's rate-limit error reply. */
export const RATE_LIMITED_TEXT = "too many messages waiting: slow down";
