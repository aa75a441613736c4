// Fakes for the pure metronome modules: a hand-driven clock and a peer that records what it is sent.
import type { Clock } from "../../src/transport/types.ts";

export class FakeClock implements Clock {
  private timers: Array<{ at: number; fn: () => void }> = [];
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  mono(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
}

let nextPeerId = 1;

export class FakePeer {
  readonly id = nextPeerId++;
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
  /** Everything sent so far, parsed, and forget it. */
  take(): any[] {
    return this.sent.splice(0).map((t) => JSON.parse(t));
  }
}
