// The hub's beat grid and per-member clocks through the method table, to the millisecond.
import { beforeEach, describe, expect, test } from "bun:test";
import { call, client, clock, connect, group, hub, LEAD, resetHub, send, tempo } from "./hub-harness.ts";

beforeEach(resetHub);

describe("the beat grid", () => {
  test("start: success first, then play_sound to every member, lead_ms ahead in each member's clock", () => {
    const o = group(0);
    const m1 = client(+5000);
    const m2 = client(-1234);
    for (const m of [m1, m2]) call(m, "subscribe_to_group", { group_id: o.id });
    const now = clock.now();
    send(o, { jsonrpc: "2.0", method: "start_metronome", params: tempo(o.id, 120), id: "s" });
    expect(o.peer.takeJson()).toEqual([
      { jsonrpc: "2.0", result: { status: "success" }, id: "s" },
      { jsonrpc: "2.0", method: "play_sound", params: { start_ts: now + LEAD, bpm: 120 }, id: 1 },
    ]);
    expect(m1.peer.takeJson()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: now + LEAD + 5000, bpm: 120 }, id: 1 }]);
    expect(m2.peer.takeJson()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: now + LEAD - 1234, bpm: 120 }, id: 1 }]);
  });

  test("update_temp while playing: phase continuous, from the next beat of the old grid", () => {
    const o = group();
    const m = client(300);
    call(m, "subscribe_to_group", { group_id: o.id });
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 120));
    o.peer.takeJson();
    m.peer.takeJson();
    clock.advance(LEAD + 1700); // 1700 ms after the first beat: beats at +1500, +2000
    expect(call(o, "update_temp", tempo(o.id, 90))).toEqual({ status: "success" });
    expect(o.peer.takeJson()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: t0 + 2000, bpm: 90 }, id: 2 }]);
    expect(m.peer.takeJson()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: t0 + 2000 + 300, bpm: 90 }, id: 2 }]);
    // Chained: 90 bpm from t0+2000 → next beat after +2900 is t0 + 2000 + 2·666.67 = t0 + 3333.
    clock.advance(1200);
    call(o, "update_temp", tempo(o.id, 60));
    expect(o.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 3333, bpm: 60 });
  });

  test("update_temp keeps each phone's offset of the running grid; start and resync take the new estimate", () => {
    // The owner's first samples lagged 40 ms in transit: offset 260 where its clock is really +300.
    const o = group(300 - 40);
    const m = client(500);
    call(m, "subscribe_to_group", { group_id: o.id });
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 120, 300 - 40));
    expect(o.peer.takeJson()[0].params.start_ts).toBe(t0 + 260);
    m.peer.takeJson();
    clock.advance(LEAD + 1700);
    call(o, "update_temp", tempo(o.id, 90, 300)); // a sample with no lag: the estimate is now 300
    expect(o.s.clock.offset).toBe(300);
    // Still t0 + 2000 on the grid the owner is playing (offset 260), not 40 ms off it.
    expect(o.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 2000 + 260, bpm: 90 });
    expect(m.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 2000 + 500, bpm: 90 });
    // Chained changes keep it too.
    clock.advance(1200);
    call(o, "update_temp", tempo(o.id, 60, 300));
    expect(o.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 3333 + 260, bpm: 60 });
    // A resync (subscribing to its own group again) takes the better estimate.
    call(o, "subscribe_to_group", { group_id: o.id });
    expect(o.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 3333 + 300, bpm: 60 });
    // …and so does the next update_temp, continuing from that resync.
    call(o, "update_temp", tempo(o.id, 100, 300));
    expect(o.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 3333 + 300, bpm: 100 });
    // After a stop, a new start uses the current estimate.
    call(o, "stop_metronome", { group_id: o.id, current_client_ts: 0 });
    o.peer.takeJson();
    const now = clock.now();
    call(o, "start_metronome", tempo(o.id, 120, 300));
    expect(o.peer.takeJson()[0].params.start_ts).toBe(now + LEAD + 300);
  });

  test("a phone hearing two playing groups (its own and a joined one) keeps each grid's offset", () => {
    const a = group(1000);
    const b = group();
    call(a, "subscribe_to_group", { group_id: b.id });
    call(a, "start_metronome", tempo(a.id, 120, 1000));
    const ta = clock.now() + LEAD;
    clock.advance(10);
    call(b, "start_metronome", tempo(b.id, 60));
    const tb = clock.now() + LEAD;
    expect(a.peer.takeJson().map((f) => f.params?.start_ts)).toEqual([ta + 1000, tb + 1000]);
    call(a, "sync_time", { client_ts: clock.now() + 2000 }); // the estimate moves by 1000
    clock.advance(LEAD + 100);
    call(b, "update_temp", tempo(b.id, 90));
    expect(a.peer.takeJson()[0].params).toEqual({ start_ts: tb + 1000 + 1000, bpm: 90 });
    call(a, "update_temp", tempo(a.id, 100, 2000));
    expect(a.peer.takeJson()[0].params).toEqual({ start_ts: ta + 500 + 1000, bpm: 100 });
  });

  test("update_temp while stopped only stores the tempo", () => {
    const o = group();
    expect(call(o, "update_temp", tempo(o.id, 77))).toEqual({ status: "success" });
    expect(o.peer.sent).toEqual([]);
    expect(hub.groups.get(o.id)!.bpm).toBe(77);
    expect(hub.groups.get(o.id)!.grid).toBeNull();
  });

  test("stop: stop_sound to every member, also when already stopped", () => {
    const o = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: o.id });
    expect(call(o, "stop_metronome", { group_id: o.id, current_client_ts: 1 })).toEqual({ status: "success" });
    for (const c of [o, m]) expect(c.peer.takeJson()).toEqual([{ jsonrpc: "2.0", method: "stop_sound", params: null, id: 1 }]);
    call(o, "start_metronome", tempo(o.id, 100));
    call(o, "stop_metronome", { group_id: o.id, current_client_ts: 1 });
    for (const c of [o, m]) expect(c.peer.takeJson().map((f) => [f.method, f.params, f.id])).toEqual([["play_sound", expect.anything(), 2], ["stop_sound", null, 3]]);
    expect(hub.groups.get(o.id)!.grid).toBeNull();
  });

  test("late joiner to a playing group gets the running grid at once", () => {
    const o = group();
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 60));
    clock.advance(LEAD + 2300);
    const late = client(-500);
    expect(call(late, "subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
    expect(late.peer.takeJson()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: t0 + 3000 - 500, bpm: 60 }, id: 1 }]);
    // After a tempo change the joiner gets the new segment's grid.
    call(o, "update_temp", tempo(o.id, 120)); // from t0 + 3000, the next 60 bpm beat
    late.peer.takeJson();
    clock.advance(2000); // now t0 + 4300
    call(late, "subscribe_to_group", { group_id: o.id }); // re-subscribe = resync
    expect(late.peer.takeJson()[0].params).toEqual({ start_ts: t0 + 4500 - 500, bpm: 120 });
  });

  test("start while playing restarts the grid lead_ms ahead", () => {
    const o = group();
    call(o, "start_metronome", tempo(o.id, 60));
    clock.advance(3210);
    call(o, "start_metronome", tempo(o.id, 100));
    expect(o.peer.takeJson().at(-1).params).toEqual({ start_ts: clock.now() + LEAD, bpm: 100 });
  });

  test("a batch: replies in one array first, then the server requests in call order", () => {
    const c = connect();
    send(c, [
      { jsonrpc: "2.0", method: "get_id", params: { time_utc: clock.now() }, id: 1 },
      { jsonrpc: "2.0", method: "create_group", params: { time_utc: clock.now() }, id: 2 },
      { jsonrpc: "2.0", method: "start_metronome", params: tempo(1, 90), id: 3 },
      { jsonrpc: "2.0", result: { status: "success" }, id: 99 },
      { jsonrpc: "2.0", method: "stop_metronome", params: { group_id: 1, current_client_ts: 0 } },
    ]);
    const [replies, play, stop] = c.peer.takeJson();
    expect(replies.map((r: any) => r.id)).toEqual([1, 2, 3]);
    expect(play.method).toBe("play_sound");
    expect(stop.method).toBe("stop_sound");
  });
});

describe("sync_time", () => {
  test("reply carries the server's timestamps; a reported exchange sets the offset", () => {
    const c = client(0);
    const skew = 4000;
    const r1 = call(c, "sync_time", { client_ts: clock.now() + skew - 20 });
    expect(r1).toEqual({ status: "success", client_ts: clock.now() + skew - 20, server_recv_ts: clock.now(), server_send_ts: clock.now() });
    // The client reports that exchange: 20 ms up, 30 ms down → offset skew + 5, rtt 50.
    const previous = { ...r1, client_recv_ts: clock.now() + skew + 30 };
    delete previous.status;
    clock.advance(500);
    call(c, "sync_time", { client_ts: clock.now() + skew, previous });
    expect(c.s.clock.offset).toBe(skew + 5);
    expect(c.s.clock.rtt).toBe(50);
    call(c, "create_group", { time_utc: 0 });
    const now = clock.now();
    call(c, "start_metronome", tempo(c.id, 60));
    expect(c.peer.takeJson()[0].params.start_ts).toBe(now + LEAD + skew + 5);
  });

  test("previous: null is a first call with nothing to report (a one-way sample only)", () => {
    const c = client(0);
    expect(call(c, "sync_time", { client_ts: clock.now() + 700, previous: null })).toEqual({ status: "success", client_ts: clock.now() + 700, server_recv_ts: clock.now(), server_send_ts: clock.now() });
    expect(call(c, "sync_time", [clock.now() + 700, null]).status).toBe("success");
    expect(c.s.clock.offset).toBe(700);
    expect(c.s.clock.rtt).toBeNull();
  });

  test("a sync_time notification reports its previous exchange without a reply", () => {
    const c = client(0);
    const previous = { client_ts: clock.now() - 1000 + 250, server_recv_ts: clock.now() - 1000 + 10, server_send_ts: clock.now() - 1000 + 11, client_recv_ts: clock.now() - 1000 + 250 + 21 };
    send(c, { jsonrpc: "2.0", method: "sync_time", params: { client_ts: clock.now() + 250, previous } });
    expect(c.peer.sent).toEqual([]);
    expect(c.s.clock.offset).toBe(250); // 10 ms each way
    expect(c.s.clock.rtt).toBe(20);
  });
});
