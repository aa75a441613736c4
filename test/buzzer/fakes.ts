// Fakes for the pure buzzer modules: a manual clock, connections that record what they are
// sent, and topics that deliver to subscribed fake connections.
import type { Clock, Conn, Topics } from "../../src/transport/types.ts";

export class FakeClock implements Clock {
  t = 1000;
  private timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  private seq = 0;
  now = () => 1_700_000_000_000 + this.t;
  mono = () => this.t;
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, seq: this.seq++ };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
  /** Move time forward, firing due timers in order (timers they set fire too, if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.length;
  }
}

export class FakeTopics implements Topics {
  readonly subs = new Map<string, Set<FakeConn>>();
  publish(topic: string, data: string): void {
    for (const c of this.subs.get(topic) ?? []) c.sent.push(data);
  }
}

let ids = 1;
export class FakeConn implements Conn {
  readonly id = ids++;
  readonly sent: string[] = [];
  closedWith: number | null = null;
  constructor(private readonly topics?: FakeTopics) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number): void {
    this.closedWith = code;
  }
  subscribe(topic: string): void {
    const s = this.topics?.subs.get(topic) ?? new Set();
    s.add(this);
    this.topics?.subs.set(topic, s);
  }
  unsubscribe(topic: string): void {
    this.topics?.subs.get(topic)?.delete(this);
  }
  publishOthers(topic: string, data: string): void {
    for (const c of this.topics?.subs.get(topic) ?? []) if (c !== this) c.sent.push(data);
  }
  /** Everything sent so far, parsed, and clear the record. */
  take(): any[] {
    return this.sent.splice(0).map((s) => JSON.parse(s));
  }
}
