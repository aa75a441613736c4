// The beat grid and the clock offset math, pinned to the millisecond.
import { describe, expect, test } from "bun:test";
import { AGREE_MS, ClockSync, exchangeOffset, MAX_PLAUSIBLE_OFFSET_MS } from "../../../src/protocols/metronome/clock-sync.ts";
import { beatAtOrAfter, beatPeriod, joinBeat, retempo, JOIN_GUARD_MS, startGrid } from "../../../src/protocols/metronome/grid.ts";

const T = 1_700_000_000_000;

describe("beat grid", () => {
  test("start: first beat exactly lead_ms ahead (whole ms, never earlier)", () => {
    expect(startGrid(T, 1000, 90)).toEqual({ anchor: T + 1000, bpm: 90 });
    expect(startGrid(T + 0.4, 1000, 90).anchor).toBe(T + 1001);
    expect(startGrid(T, 0, 120).anchor).toBe(T);
  });

  test("periods: 60000/bpm", () => {
    expect(beatPeriod(120)).toBe(500);
    expect(beatPeriod(20)).toBe(3000);
    expect(beatPeriod(400)).toBe(150);
    expect(beatPeriod(90)).toBeCloseTo(666.667, 3);
  });

  test("beatAtOrAfter: on the grid, never before the anchor, rounded to whole ms", () => {
    const g = { anchor: T, bpm: 90 }; // 666.666… ms
    expect(beatAtOrAfter(g, T - 5000)).toBe(T);
    expect(beatAtOrAfter(g, T)).toBe(T);
    expect(beatAtOrAfter(g, T + 1)).toBe(T + 667);
    expect(beatAtOrAfter(g, T + 667)).toBe(T + 1333);
    expect(beatAtOrAfter(g, T + 2000)).toBe(T + 2000); // beat 3 lands exactly: no float creep
    expect(beatAtOrAfter(g, T + 60_000)).toBe(T + 60_000); // beat 90
  });

  test("update_temp: the new tempo starts on the next beat of the old grid", () => {
    const g = { anchor: T, bpm: 120 }; // beats at T, T+500, T+1000 …
    // 1200 ms in: the old grid's next beat is T+1500.
    expect(retempo(g, T + 1200, 60)).toEqual({ anchor: T + 1500, bpm: 60 });
    expect(retempo(g, T + 1499, 60).anchor).toBe(T + 1500);
    // A beat sounding right now is not the next one.
    expect(retempo(g, T + 1500, 60)).toEqual({ anchor: T + 2000, bpm: 60 });
    // Before the first beat has sounded, the new tempo starts on that first beat.
    expect(retempo(g, T - 800, 200)).toEqual({ anchor: T, bpm: 200 });
  });

  test("two tempo changes chain phase-continuously", () => {
    const g1 = { anchor: T, bpm: 120 };
    const g2 = retempo(g1, T + 1200, 90); // anchor T+1500
    const g3 = retempo(g2, T + 2000, 60); // 90 bpm from T+1500: T+2166.67 → T+2167
    expect(g2.anchor).toBe(T + 1500);
    expect(g3.anchor).toBe(T + 2167);
  });

  test("late join: the next beat of the running grid at least the guard ahead", () => {
    const g = { anchor: T, bpm: 60 };
    expect(joinBeat(g, T + 2000 - JOIN_GUARD_MS)).toBe(T + 2000);
    expect(joinBeat(g, T + 2001 - JOIN_GUARD_MS)).toBe(T + 3000);
    expect(joinBeat(g, T + 2300)).toBe(T + 3000);
    expect(joinBeat(g, T + 2950)).toBe(T + 4000);
    expect(joinBeat(g, T - 600)).toBe(T); // first beat still ahead
    expect(joinBeat(g, T - 50)).toBe(T + 1000);
  });
});

describe("clock offset", () => {
  test("no samples: offset 0, server instants unchanged", () => {
    const c = new ClockSync();
    expect(c.offset).toBe(0);
    expect(c.toClient(T + 1000)).toBe(T + 1000);
    expect(c.rtt).toBeNull();
  });

  test("one-way samples: the largest client_ts − server_recv wins", () => {
    const c = new ClockSync();
    // client clock = server + 5000; transit 40, 12 and 70 ms.
    c.oneWaySample(T + 5000, T + 40);
    expect(c.offset).toBe(4960);
    c.oneWaySample(T + 10_000 + 5000, T + 10_000 + 12);
    expect(c.offset).toBe(4988);
    c.oneWaySample(T + 20_000 + 5000, T + 20_000 + 70);
    expect(c.offset).toBe(4988);
    expect(c.toClient(T + 1000)).toBe(T + 5988);
  });

  test("a best one-way sample within AGREE_MS below 0 is a clock that agrees: offset 0", () => {
    const c = new ClockSync();
    c.oneWaySample(T - 1, T); // same clock, 1 ms in transit
    expect(c.offset).toBe(0);
    expect(c.toClient(T + 1000)).toBe(T + 1000);
    const d = new ClockSync();
    d.oneWaySample(T - AGREE_MS, T);
    expect(d.offset).toBe(0);
    const e = new ClockSync();
    e.oneWaySample(T - AGREE_MS - 1, T); // further behind than a link delay explains: kept
    expect(e.offset).toBe(-AGREE_MS - 1);
    const f = new ClockSync();
    f.oneWaySample(T + 3, T); // ahead: a lower bound above 0, kept
    expect(f.offset).toBe(3);
  });

  test("implausible samples (seconds instead of ms, the original clients' 123123123) are ignored", () => {
    const c = new ClockSync();
    c.oneWaySample(123123123, T);
    c.oneWaySample(Math.floor(T / 1000), T);
    c.oneWaySample(T + MAX_PLAUSIBLE_OFFSET_MS + 1, T);
    expect(c.offset).toBe(0);
    c.oneWaySample(T - 3000, T + 10);
    expect(c.offset).toBe(-3010);
  });

  test("NTP exchange: offset and round trip (docs/metronome.md#sync_time)", () => {
    // client = server − 2000; 30 ms up, 10 ms down, 4 ms in the server.
    const x = { client_ts: T - 2000, server_recv_ts: T + 30, server_send_ts: T + 34, client_recv_ts: T - 2000 + 44 };
    expect(exchangeOffset(x)).toEqual({ offset: -2010, rtt: 40 });
  });

  test("the exchange with the smallest round trip wins over one-way samples and slower exchanges", () => {
    const c = new ClockSync();
    c.oneWaySample(T + 700, T + 5); // one-way says +695
    const ex = (up: number, down: number, at: number) => ({ client_ts: at + 700, server_recv_ts: at + up, server_send_ts: at + up + 1, client_recv_ts: at + 700 + up + 1 + down });
    // offset = 700 + (down − up)/2
    c.exchange(ex(40, 20, T)); // offset 690, rtt 60
    expect(c.offset).toBe(690);
    expect(c.rtt).toBe(60);
    c.exchange(ex(6, 4, T + 1000)); // offset 699, rtt 10
    expect(c.offset).toBe(699);
    expect(c.rtt).toBe(10);
    c.exchange(ex(50, 1, T + 2000)); // rtt 51: worse, ignored
    expect(c.offset).toBe(699);
    c.oneWaySample(T + 3000 + 700, T + 3000); // even an exact one-way sample no longer matters
    expect(c.offset).toBe(699);
    expect(c.toClient(T)).toBe(T + 699);
  });

  test("an exchange with a negative round trip is inconsistent and ignored", () => {
    const c = new ClockSync();
    c.exchange({ client_ts: T, server_recv_ts: T, server_send_ts: T + 100, client_recv_ts: T + 10 });
    expect(c.rtt).toBeNull();
    expect(c.offset).toBe(0);
  });

  test("half-millisecond offsets round to whole ms in start_ts", () => {
    const c = new ClockSync();
    c.exchange({ client_ts: T, server_recv_ts: T + 3, server_send_ts: T + 3, client_recv_ts: T + 4 }); // offset −1, rtt 4
    expect(c.offset).toBe(-1);
    c.exchange({ client_ts: T, server_recv_ts: T + 1, server_send_ts: T + 1, client_recv_ts: T + 3 }); // offset 0.5, rtt 3
    expect(c.offset).toBe(0.5);
    expect(c.toClient(T + 1000)).toBe(T + 1001);
  });
});
