// get_time round trips (docs/metronome.md#get_time) on the fake clock: the offset of each exchange,
// the fastest one kept, the schedule, misses, and the first play_sound waiting for the measurement.
import { beforeEach, describe, expect, test } from "bun:test";
import { ClockSync, roundTripOffset } from "../../../src/protocols/metronome/clock-sync.ts";
import { PROBE } from "../../../src/protocols/metronome/time-probe.ts";
import { answerGetTime, LEAD, world, type Phone, type World } from "./harness.ts";

let w: World;
beforeEach(() => {
  w = world();
});

/** A phone of the later dialect (its get_id sent as MetronomeWeb's client sends it). */
function laterPhone(): Phone & { id: number } {
  const p = w.connect();
  const id = w.result(p, "get_id", { client_id: null }).client_id as number;
  return { ...p, id };
}

/** Answer the whole first burst with these (down, up) delays, pausing the schedule's gap between them. */
function burst(p: Phone, skew: number, delays: Array<[number, number]>): void {
  delays.forEach(([down, up], i) => {
    expect(answerGetTime(w, p, skew, down, up)).not.toBeNull();
    if (i < delays.length - 1) w.clock.advance(PROBE.gapMs);
  });
}

describe("the estimate from one exchange", () => {
  test("offset = T − (send + recv)/2, rtt = recv − send", () => {
    expect(roundTripOffset(1000, 5040, 1100)).toEqual({ offset: 3990, rtt: 100 });
    // Symmetric delays: exactly the skew. Asymmetric: off by half the difference.
    const skew = 3000;
    const [send, down, up] = [50_000, 20, 20];
    expect(roundTripOffset(send, send + down + skew, send + down + up).offset).toBe(skew);
    expect(roundTripOffset(send, send + 30 + skew, send + 30 + 10).offset).toBe(skew + 10);
  });

  test("get_time exchanges and sync_time exchanges compete in one estimator: the smallest round trip wins", () => {
    const c = new ClockSync();
    c.oneWaySample(1_000_000 + 9000, 1_000_000);
    c.roundTrip({ offset: 4000, rtt: 80 });
    expect(c.offset).toBe(4000); // a full exchange wins over one-way samples
    c.exchange({ client_ts: 0, server_recv_ts: -5000 + 20, server_send_ts: -5000 + 20, client_recv_ts: 40 }); // rtt 40, offset 5000
    expect([c.offset, c.rtt]).toEqual([5000, 40]);
    c.roundTrip({ offset: 7000, rtt: 60 }); // slower: ignored
    c.roundTrip({ offset: 1, rtt: -1 }); // inconsistent: ignored
    c.roundTrip({ offset: 2 * 86_400_000, rtt: 1 }); // a clock days off: ignored
    expect([c.offset, c.rtt]).toEqual([5000, 40]);
  });
});

describe("a phone measured by get_time alone", () => {
  test("a +4 s phone on a slow, jittery link: start_ts lands on the owner's instant within half the fastest exchange's imbalance", () => {
    const o = w.connect();
    w.result(o, "get_id", { time_utc: w.clock.now() });
    w.result(o, "create_group", { time_utc: w.clock.now() });
    const skew = 4000;
    const p = laterPhone();
    // The fastest exchange (12 + 14) is kept: its error is (12 − 14)/2 = −1 ms.
    burst(p, skew, [
      [90, 40],
      [35, 60],
      [12, 14],
      [70, 20],
      [25, 45],
    ]);
    expect(p.s.clock.rtt).toBe(26);
    expect(p.s.clock.offset).toBe(skew - 1);
    expect(w.result(p, "subscribe_to_group", { group_id: 1 })).toEqual({ status: "success" });
    w.result(o, "start_metronome", { group_id: 1, current_client_ts: w.clock.now(), bpm: 120 });
    const [po] = w.requests(o, "play_sound");
    const [pp] = w.requests(p, "play_sound");
    expect(pp.params.start_ts - skew - po.params.start_ts).toBe(-1);
  });

  test("K comes from the connection's request counter, shared with play_sound: no K repeats", () => {
    const o = laterPhone();
    w.result(o, "create_group");
    burst(o, 0, [[1, 1]]);
    w.result(o, "start_metronome", { group_id: o.id, ts_ms: w.clock.now(), bpm: 90 });
    w.clock.advance(PROBE.waitMs); // the rest of the burst goes unanswered…
    w.clock.advance(PROBE.timeoutMs * 3);
    w.result(o, "stop_metronome", { group_id: o.id, ts_ms: w.clock.now() });
    const ks = w.requests(o).map((f) => [f.method, f.id]);
    expect(ks.map(([, k]) => k)).toEqual(ks.map((_, i) => i + 2)); // get_time 1 was answered above
    expect(new Set(ks.map(([m]) => m))).toEqual(new Set(["get_time", "play_sound", "stop_sound"]));
  });
});

describe("the schedule", () => {
  const getTimes = (p: Phone) => p.peer.sent.filter((f) => f.includes('"get_time"')).length;

  test("one in flight; a burst of 5, gapMs apart; then one every periodMs; nothing after the connection closes", () => {
    const p = laterPhone();
    expect(getTimes(p)).toBe(1);
    w.clock.advance(PROBE.timeoutMs - 1);
    expect(getTimes(p)).toBe(1); // no second request while one is in flight…
    w.clock.advance(1); // …the first times out (a miss)
    p.peer.take();
    for (let i = 2; i <= PROBE.burst; i++) {
      w.clock.advance(PROBE.gapMs - 1);
      expect(getTimes(p)).toBe(0);
      w.clock.advance(1);
      expect(getTimes(p)).toBe(1);
      expect(answerGetTime(w, p, 0, 0, 0)).not.toBeNull();
    }
    // The burst is over: the next one a period later, one at a time.
    w.clock.advance(PROBE.periodMs - 1);
    expect(getTimes(p)).toBe(0);
    w.clock.advance(1);
    expect(getTimes(p)).toBe(1);
    answerGetTime(w, p, 0, 3, 3);
    w.clock.advance(PROBE.periodMs);
    expect(getTimes(p)).toBe(1);
    w.close(p);
    expect(w.clock.pending).toBe(0);
  });

  test("a client that never answers gets maxMisses requests, then none", () => {
    const p = laterPhone();
    w.clock.advance(60_000);
    expect(getTimes(p)).toBe(PROBE.maxMisses);
    w.clock.advance(600_000);
    expect(getTimes(p)).toBe(PROBE.maxMisses);
    expect(w.clock.pending).toBe(0);
  });

  test("an error answer or one without ts_ms is a miss; a late answer and an unknown K are ignored silently", () => {
    const p = laterPhone();
    const take = () => JSON.parse(p.peer.sent.splice(p.peer.sent.findIndex((f) => f.includes('"get_time"')), 1)[0]!).id as number;
    const k1 = take();
    w.send(p, `{"jsonrpc":"2.0","result":{"status":"error","message":"no clock"},"id":${k1}}`);
    w.clock.advance(PROBE.gapMs);
    const k2 = take();
    w.send(p, `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":${k2}}`);
    w.clock.advance(PROBE.gapMs);
    const k3 = take();
    w.clock.advance(PROBE.timeoutMs); // the third miss: the client is taken not to answer
    w.send(p, `{"jsonrpc":"2.0","result":{"status":"success","ts_ms":${w.clock.now() + 3000}},"id":${k3}}`); // late
    w.send(p, `{"jsonrpc":"2.0","result":{"status":"success","ts_ms":${w.clock.now() + 3000}},"id":999}`); // unknown
    expect(p.peer.sent).toEqual([]);
    expect(p.s.clock.rtt).toBeNull();
    expect(w.clock.pending).toBe(0);
  });

  test("misses in a row only: an answer resets the count", () => {
    const p = laterPhone();
    w.clock.advance(PROBE.timeoutMs); // miss
    w.clock.advance(PROBE.gapMs);
    w.clock.advance(PROBE.timeoutMs); // miss
    w.clock.advance(PROBE.gapMs);
    expect(answerGetTime(w, p, 0, 1, 1)).not.toBeNull(); // answered
    w.clock.advance(PROBE.gapMs);
    w.clock.advance(PROBE.timeoutMs); // miss
    w.clock.advance(PROBE.gapMs);
    w.clock.advance(PROBE.timeoutMs); // miss: burst over, 2 in a row
    w.clock.advance(PROBE.periodMs);
    expect(getTimes(p)).toBeGreaterThan(0);
  });
});

describe("the first play_sound waits for the measurement", () => {
  function owner() {
    const o = w.connect();
    w.result(o, "get_id", { time_utc: w.clock.now() });
    w.result(o, "create_group", { time_utc: w.clock.now() });
    w.result(o, "start_metronome", { group_id: 1, current_client_ts: w.clock.now(), bpm: 120 });
    const [po] = w.requests(o, "play_sound");
    return { ...o, id: 1, start: po.params.start_ts as number };
  }

  test("a late joiner subscribing before its clock is measured: play_sound once the burst is answered, in its clock", () => {
    const o = owner();
    const skew = -6000;
    const p = laterPhone();
    expect(w.result(p, "subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
    expect(w.requests(p, "play_sound")).toEqual([]);
    burst(p, skew, [
      [5, 5],
      [5, 5],
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    const [pp] = w.requests(p, "play_sound");
    const start = pp.params.start_ts - skew;
    expect((start - o.start) % 500).toBe(0); // on the owner's grid (120 bpm), exactly: the link is symmetric
    expect(start).toBeGreaterThanOrEqual(w.clock.now() + 100);
  });

  test("a client that does not answer waits at most waitMs, then gets play_sound on its best guess", () => {
    const o = owner();
    const p = laterPhone();
    w.result(p, "subscribe_to_group", { group_id: o.id });
    w.clock.advance(PROBE.waitMs - 1);
    expect(w.requests(p, "play_sound")).toEqual([]);
    w.clock.advance(1);
    const [pp] = w.requests(p, "play_sound");
    expect((pp.params.start_ts - o.start) % 500).toBe(0);
  });

  test("start with a waiting member: the others at once, the waiting one when settled; stop before that: no play_sound", () => {
    const o = w.connect();
    w.result(o, "get_id", { time_utc: w.clock.now() });
    w.result(o, "create_group", { time_utc: w.clock.now() });
    const plain = w.connect();
    w.result(plain, "get_id", { time_utc: w.clock.now() });
    w.result(plain, "subscribe_to_group", { group_id: 1 });
    const p = laterPhone();
    w.result(p, "subscribe_to_group", { group_id: 1 });
    w.result(o, "start_metronome", { group_id: 1, current_client_ts: w.clock.now(), bpm: 90 });
    expect([w.requests(o, "play_sound").length, w.requests(plain, "play_sound").length, w.requests(p, "play_sound").length]).toEqual([1, 1, 0]);
    w.result(o, "stop_metronome", { group_id: 1, current_client_ts: w.clock.now() });
    expect(w.requests(p, "stop_sound")).toHaveLength(1);
    w.clock.advance(PROBE.waitMs);
    expect(w.requests(p, "play_sound")).toEqual([]);
  });

  test("a start by a later-dialect owner right after get_id: its own play_sound waits too, and keeps the grid", () => {
    const o = laterPhone();
    w.result(o, "create_group");
    w.result(o, "start_metronome", { group_id: o.id, ts_ms: w.clock.now(), bpm: 60 });
    const anchor = w.clock.now() + LEAD;
    expect(w.requests(o, "play_sound")).toEqual([]);
    burst(o, 2500, [
      [3, 3],
      [3, 3],
      [3, 3],
      [3, 3],
      [3, 3],
    ]);
    const [po] = w.requests(o, "play_sound");
    expect(po.params.start_ts - 2500).toBe(anchor); // the first beat is still ahead: it is the one sent
  });
});
