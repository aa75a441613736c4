// The ping schedule of many sessions on one timer (engine.io-protocol v4 § "Heartbeat"). Every
// session waits pingInterval for its next ping, so deadlines come in the order they are set: a
// FIFO list threaded through the sessions themselves is sorted, and one Clock timer armed for
// its head serves them all. Each ping still goes out at its own deadline; an idle session holds
// no runtime timer and no closure for it.
import type { Clock } from "../../transport/types.ts";

/** What the schedule needs of a session: the list links and the callback. */
export interface PingNode {
  pingDue: number;
  pingPrev: PingNode | null;
  pingNext: PingNode | null;
  /** Linked in the schedule (a node may be unlinked and re-added many times). */
  pingQueued: boolean;
  pingDueNow(): void;
}

export class PingSchedule {
  private head: PingNode | null = null;
  private tail: PingNode | null = null;
  private stopArmed: (() => void) | null = null;
  private armedAt = Infinity;

  constructor(private readonly clock: Clock, private readonly intervalMs: number) {}

  /** The node's next ping is due pingInterval from now. */
  add(n: PingNode): void {
    this.remove(n);
    n.pingDue = this.clock.mono() + this.intervalMs;
    n.pingPrev = this.tail;
    n.pingNext = null;
    if (this.tail) this.tail.pingNext = n;
    else this.head = n;
    this.tail = n;
    n.pingQueued = true;
    this.arm();
  }

  remove(n: PingNode): void {
    if (!n.pingQueued) return;
    n.pingQueued = false;
    if (n.pingPrev) n.pingPrev.pingNext = n.pingNext;
    else this.head = n.pingNext;
    if (n.pingNext) n.pingNext.pingPrev = n.pingPrev;
    else this.tail = n.pingPrev;
    n.pingPrev = n.pingNext = null;
    // Nothing left to wait for: no timer keeps running (the armed one would find nothing due).
    if (!this.head) this.disarm();
  }

  private arm(): void {
    const head = this.head;
    if (!head || head.pingDue >= this.armedAt) return;
    this.disarm();
    this.armedAt = head.pingDue;
    this.stopArmed = this.clock.setTimer(Math.max(0, head.pingDue - this.clock.mono()), () => this.fire());
  }

  private disarm(): void {
    this.stopArmed?.();
    this.stopArmed = null;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.stopArmed = null;
    this.armedAt = Infinity;
    const now = this.clock.mono();
    for (let n = this.head; n && n.pingDue <= now; n = this.head) {
      this.remove(n);
      n.pingDueNow();
    }
    this.arm();
  }
}
