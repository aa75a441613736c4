// Server pings and the idle close (docs/common.md#keepalive), for every connection on one Clock
// timer. Each connection is pinged pingIntervalMs after its last ping and closed when it has sent
// nothing, not even a pong, for idleTimeoutMs. Receiving a frame only stamps `heardAt`: the
// schedule (a binary heap of each connection's next deadline) is touched when a deadline comes,
// not on the hot path. Pure: time from the Clock, effects through the callbacks.
import type { Clock } from "./types.ts";

/** What the schedule keeps on each connection (inline fields: no object per connection). */
export interface KeepAliveNode {
  /** Clock.mono() of the last frame of any kind from the client. */
  heardAt: number;
  /** Clock.mono() of the last ping sent (or of the open). */
  pingedAt: number;
  /** The node's next deadline, and its place in the heap (-1: not scheduled). */
  kaDue: number;
  kaIndex: number;
}

export interface KeepAliveActions<N> {
  ping(n: N): void;
  /** Silent for idleTimeoutMs: the node has been removed; close it. */
  expire(n: N): void;
}

export class KeepAlive<N extends KeepAliveNode> {
  private readonly heap: N[] = [];
  private cancel: (() => void) | null = null;
  private armedAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly pingIntervalMs: number,
    private readonly idleTimeoutMs: number,
    private readonly actions: KeepAliveActions<N>,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** A new connection: its first ping is due pingIntervalMs from now. */
  add(n: N): void {
    const now = this.clock.mono();
    n.heardAt = n.pingedAt = now;
    n.kaDue = this.deadline(n);
    n.kaIndex = this.heap.push(n) - 1;
    this.up(n.kaIndex);
    this.arm();
  }

  remove(n: N): void {
    const i = n.kaIndex;
    if (i < 0) return;
    n.kaIndex = -1;
    const last = this.heap.pop()!;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.kaIndex = i;
      this.down(i);
      this.up(last.kaIndex);
    }
    if (this.heap.length === 0) this.disarm();
  }

  stop(): void {
    for (const n of this.heap) n.kaIndex = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private deadline(n: N): number {
    return Math.min(n.pingedAt + this.pingIntervalMs, n.heardAt + this.idleTimeoutMs);
  }

  private fire(): void {
    this.cancel = null;
    this.armedAt = Infinity;
    const now = this.clock.mono();
    for (let n = this.heap[0]; n && n.kaDue <= now; n = this.heap[0]) {
      if (now - n.heardAt >= this.idleTimeoutMs) {
        this.remove(n);
        this.actions.expire(n);
        continue;
      }
      if (now - n.pingedAt >= this.pingIntervalMs) {
        n.pingedAt = now;
        this.actions.ping(n);
      }
      n.kaDue = this.deadline(n);
      this.down(0);
    }
    this.arm();
  }

  private arm(): void {
    const head = this.heap[0];
    if (!head || head.kaDue >= this.armedAt) return;
    this.disarm();
    this.armedAt = head.kaDue;
    this.cancel = this.clock.setTimer(Math.max(0, head.kaDue - this.clock.mono()), () => this.fire());
  }

  private disarm(): void {
    this.cancel?.();
    this.cancel = null;
    this.armedAt = Infinity;
  }

  private up(i: number): void {
    const h = this.heap;
    const n = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.kaDue <= n.kaDue) break;
      h[i] = h[p]!;
      h[i]!.kaIndex = i;
      i = p;
    }
    h[i] = n;
    n.kaIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const len = h.length;
    if (i >= len) return;
    const n = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= len) break;
      const r = l + 1;
      const c = r < len && h[r]!.kaDue < h[l]!.kaDue ? r : l;
      if (h[c]!.kaDue >= n.kaDue) break;
      h[i] = h[c]!;
      h[i]!.kaIndex = i;
      i = c;
    }
    h[i] = n;
    n.kaIndex = i;
  }
}
