// The watchdog does not blame the receiver for the server's own stall (docs/buzzer.md#watchdog).
// Found by the soak (scripts/bench/soak.ts): on a busy machine the server's timers fired hundreds
// of ms late — the reset before the bytes the receiver had sent meanwhile were read, or the ping so
// late that the receiver had 25 ms left to answer — and the link was reset (buzzes lost, every
// client told the pool went away and came back).
import { describe, expect, test } from "bun:test";
import { Link } from "../../../src/drivers/jeoparty/link.ts";
import type { Clock } from "../../../src/transport/types.ts";

/** A clock whose timers can fire late: stall() moves time on without running them, fire() runs the due ones then. */
class StallClock implements Clock {
  monoMs = 1000;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return 1_700_000_000_000 + this.monoMs;
  }
  mono(): number {
    return this.monoMs;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const t = { at: this.monoMs + ms, fn, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  }
  /** The process did not run for `ms`. */
  stall(ms: number): void {
    this.monoMs += ms;
  }
  /** Run every due timer at the current (late) time, in order. */
  fire(): void {
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= this.monoMs).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      due.live = false;
      due.fn();
    }
  }
  /** Time passing normally: timers fire when due. */
  advance(ms: number): void {
    const end = this.monoMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.monoMs = due.at;
      due.live = false;
      due.fn();
    }
    this.monoMs = end;
  }
}

function upLink() {
  const clock = new StallClock();
  const written: number[][] = [];
  const resets: string[] = [];
  const link = new Link("v1", clock, { write: (b) => written.push([...b]), reset: (r) => resets.push(r) }, {
    up: () => {}, down: () => {}, buzz: () => {}, connected: () => {}, disconnected: () => {},
  });
  link.opened();
  link.data(new Uint8Array([0x00, 0x42, 0x00, 0x01, 0x05]));
  expect(link.state).toBe("up");
  written.length = 0;
  return { clock, link, written, resets };
}

describe("jeoparty watchdog and a stalled server", () => {
  test("a reset timer that fires late waits for the bytes that arrived meanwhile", () => {
    const { clock, link, written, resets } = upLink();
    clock.stall(400); // the server did not run; the receiver's bytes wait in the kernel
    clock.fire();
    expect(written).toEqual([[0x02]]); // the overdue ping still goes out
    expect(resets).toEqual([]);
    link.data(new Uint8Array([0x04, 0x05])); // read as soon as the loop runs again
    clock.advance(240); // the watchdog starts again from that byte
    expect(resets).toEqual([]);
    expect(link.state).toBe("up");
  });

  test("…but a receiver that stays silent after the stall is reset when an answer to the ping is overdue (150 ms)", () => {
    const { clock, resets, link } = upLink();
    clock.stall(400);
    clock.fire();
    clock.advance(149);
    expect(resets).toEqual([]);
    clock.advance(1);
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatch(/^no answer for 250 ms \(after a \d+ ms stall here\)$/);
    expect(link.state).toBe("closed");
  });

  test("a ping that went out late gets its full 150 ms to be answered, even when the reset timer is on time", () => {
    const { clock, link, written, resets } = upLink();
    clock.stall(230); // held up just before the ping was due: it goes out 130 ms late
    clock.fire();
    expect(written).toEqual([[0x02]]);
    clock.advance(20); // the reset timer, on time at 250 ms
    expect(resets).toEqual([]);
    clock.advance(129);
    expect(resets).toEqual([]);
    clock.advance(1); // 150 ms after the ping really went out
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatch(/stall here\)$/);
    expect(link.state).toBe("closed");
  });

  test("…and its pong, read in that time, keeps the link up", () => {
    const { clock, link, resets } = upLink();
    clock.stall(230);
    clock.fire();
    clock.advance(60);
    link.data(new Uint8Array([0x03]));
    clock.advance(200);
    expect(resets).toEqual([]);
    expect(link.state).toBe("up");
  });

  test("silence with the server running resets at 250 ms as before", () => {
    const { clock, resets } = upLink();
    clock.advance(249);
    expect(resets).toEqual([]);
    clock.advance(1);
    expect(resets).toEqual(["no answer for 250 ms"]);
  });
});
