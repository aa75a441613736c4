// Fakes for the pure Engine.IO/Socket.IO modules: a manual clock and a recording WebSocket link.
import type { Clock } from "../../src/transport/types.ts";
import type { WsLink } from "../../src/protocols/socketio/engine/session.ts";

/** Time moves only when the test says so; timers fire in order. */
export class FakeClock implements Clock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return 1_700_000_000_000 + this.t;
  }
  mono(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => void (timer.live = false);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
  }
  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}

let nextLink = 1;
export class FakeLink implements WsLink {
  readonly id = nextLink++;
  readonly sent: Array<string | Uint8Array> = [];
  readonly topics = new Set<string>();
  closed: { code: number; reason?: string } | null = null;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number, reason?: string): void {
    this.closed ??= { code, reason };
  }
  subscribe(topic: string): void {
    this.topics.add(topic);
  }
  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }
  publishOthers(_topic: string, _data: string): void {}
  take(): Array<string | Uint8Array> {
    return this.sent.splice(0);
  }
}
