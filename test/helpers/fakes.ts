// Fakes for the pure protocol modules (docs/architecture.md#codec-state-and-wiring): a manual
// clock, and connections and topics that deliver synchronously, so unit tests read every frame a
// socket would have received.
import type { Clock, Conn, Topics } from "../../src/transport/types.ts";

export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(public wall = 1_700_000_000_000, public monoMs = 1000) {}
  now(): number {
    return this.wall;
  }
  mono(): number {
    return this.monoMs;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const t = { at: this.monoMs + ms, fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }
  /** Move both clocks forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.monoMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.wall += due.at - this.monoMs;
      this.monoMs = due.at;
      due.live = false;
      due.fn();
    }
    this.wall += end - this.monoMs;
    this.monoMs = end;
  }
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }
}

export class FakeHub implements Topics {
  readonly subs = new Map<string, Set<FakeConn>>();
  publish(topic: string, data: string): void {
    for (const c of this.subs.get(topic) ?? []) c.send(data);
  }
}

let nextId = 1;
export class FakeConn<S = any> implements Conn<S> {
  readonly id = nextId++;
  readonly sent: string[] = [];
  closedWith: { code: number; reason?: string } | null = null;
  state = undefined as S;
  /** Failures of watched background work (the seam would close with 1011 and log). */
  readonly faults: unknown[] = [];
  /** Operator rights, as an upgrade with the operator token would give them. */
  constructor(private readonly hub: FakeHub, readonly operator = false) {}
  send(data: string | Uint8Array): void {
    if (!this.closedWith) this.sent.push(typeof data === "string" ? data : new TextDecoder().decode(data));
  }
  post(data: string): void {
    this.send(data);
  }
  cork(fn: () => void): void {
    fn();
  }
  watch(work: Promise<unknown>): void {
    work.catch((err: unknown) => {
      this.faults.push(err);
      this.close(1011, "internal error");
    });
  }
  close(code: number, reason?: string): void {
    this.closedWith ??= { code, reason };
  }
  subscribe(topic: string): void {
    let s = this.hub.subs.get(topic);
    if (!s) this.hub.subs.set(topic, (s = new Set()));
    s.add(this);
  }
  unsubscribe(topic: string): void {
    this.hub.subs.get(topic)?.delete(this);
  }
  publishOthers(topic: string, data: string): void {
    for (const c of this.hub.subs.get(topic) ?? []) if (c !== this) c.send(data);
  }
  /** Frames received so far, then forget them. */
  take(): string[] {
    return this.sent.splice(0);
  }
  /** Frames received so far, parsed as JSON, then forget them. */
  takeJson(): any[] {
    return this.take().map((s) => JSON.parse(s));
  }
}

/** Lets every queued promise continuation run (work a fake store or device answered), without a timer. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
