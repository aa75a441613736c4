// The hub through the real method table and dispatcher, with a fake clock and fake peers:
// ids, groups, owner rules, the grid and per-member clocks, to the millisecond.
import { beforeEach, describe, expect, test } from "bun:test";
import { MetronomeHub, Msg, type Session } from "../../src/protocols/metronome/hub.ts";
import { dispatch } from "../../src/protocols/metronome/jsonrpc.ts";
import { metronomeMethods } from "../../src/protocols/metronome/methods.ts";
import { FakeClock, FakePeer } from "./fakes.ts";

const LEAD = 1000;
let clock: FakeClock;
let hub: MetronomeHub;
let methods: ReturnType<typeof metronomeMethods>;
let nextId = 1;

interface Client {
  peer: FakePeer;
  s: Session;
}

beforeEach(() => {
  clock = new FakeClock();
  hub = new MetronomeHub({ clock, leadMs: LEAD });
  methods = metronomeMethods(hub);
});

const connect = (): Client => {
  const peer = new FakePeer();
  return { peer, s: hub.connect(peer) };
};

/** Send one frame as a client would: the reply is sent first, then the after-effects run. */
function send(c: Client, frame: unknown): void {
  const { reply, after } = dispatch(typeof frame === "string" ? frame : JSON.stringify(frame), methods, c.s);
  if (reply !== null) c.peer.send(reply);
  for (const fn of after) fn();
}

/** Call a method and return its result; the reply must be the first frame this call sent. */
function call(c: Client, method: string, params: unknown): any {
  const id = nextId++;
  const before = c.peer.sent.length;
  send(c, { jsonrpc: "2.0", method, params, id });
  const first = JSON.parse(c.peer.sent.splice(before, 1)[0]!);
  expect(first.id).toBe(id);
  return first.result ?? first.error;
}

/** A client with an id; `skew` is its clock minus the server's, taught by time_utc. */
function client(skew = 0): Client & { id: number } {
  const c = connect();
  const r = call(c, "get_id", { time_utc: clock.now() + skew });
  return { ...c, id: r.client_id };
}

function group(skew = 0) {
  const owner = client(skew);
  expect(call(owner, "create_group", { time_utc: clock.now() + skew })).toEqual({ status: "success", group_id: owner.id });
  return owner;
}

const tempo = (g: number, bpm: number, skew = 0) => ({ group_id: g, current_client_ts: clock.now() + skew, bpm });

describe("ids and groups", () => {
  test("get_id: positive, sequential, stable per connection, never re-issued", () => {
    const a = connect();
    expect(call(a, "get_id", { time_utc: 1 })).toEqual({ status: "success", client_id: 1 });
    expect(call(a, "get_id", { time_utc: 2 })).toEqual({ status: "success", client_id: 1 });
    hub.disconnect(a.s);
    const b = connect();
    expect(call(b, "get_id", [3])).toEqual({ status: "success", client_id: 2 });
  });

  test("every other method before get_id: call get_id first", () => {
    const c = connect();
    for (const [m, p] of [
      ["create_group", { time_utc: 1 }],
      ["subscribe_to_group", { group_id: 1 }],
      ["start_metronome", tempo(1, 100)],
      ["update_temp", tempo(1, 100)],
      ["stop_metronome", { group_id: 1, current_client_ts: 1 }],
      ["sync_time", { client_ts: 1 }],
    ] as const)
      expect(call(c, m, p)).toEqual({ status: "error", message: Msg.noId });
  });

  test("create_group is idempotent and the group id is the client id", () => {
    const o = group();
    expect(call(o, "create_group", { time_utc: 5 })).toEqual({ status: "success", group_id: o.id });
    expect(hub.groups.size).toBe(1);
  });

  test("subscribe_to_group: unknown group, numeric string ids, bad ids", () => {
    const o = group();
    const m = client();
    expect(call(m, "subscribe_to_group", { group_id: 999 })).toEqual({ status: "error", message: Msg.noGroup });
    expect(call(m, "subscribe_to_group", { group_id: String(o.id) })).toEqual({ status: "success" });
    expect(call(m, "subscribe_to_group", { group_id: "1x" }).code).toBe(-32602);
    expect(call(m, "subscribe_to_group", { group_id: 1.5 }).code).toBe(-32602);
    expect(call(m, "subscribe_to_group", {}).code).toBe(-32602);
    expect(hub.groups.get(o.id)!.members.has(m.s)).toBe(true);
  });

  test("invalid params: bpm range, types, missing fields, too many positional params", () => {
    const o = group();
    for (const bpm of [19.9, 401, "90", null]) expect(call(o, "start_metronome", { group_id: o.id, current_client_ts: 1, bpm }).code).toBe(-32602);
    expect(call(o, "start_metronome", { group_id: o.id, bpm: 90 }).code).toBe(-32602);
    expect(call(o, "get_id", {}).code).toBe(-32602);
    expect(call(o, "get_id", [1, 2]).code).toBe(-32602);
    expect(call(o, "sync_time", { client_ts: 1, previous: { client_ts: 1 } }).code).toBe(-32602);
    expect(call(o, "start_metronome", [o.id, clock.now(), 20])).toEqual({ status: "success" });
    o.peer.take(); // its play_sound
    expect(call(o, "update_temp", [o.id, clock.now(), 400])).toEqual({ status: "success" });
  });

  test("only the owner controls; unknown group is reported first", () => {
    const o = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: o.id });
    for (const [meth, p] of [
      ["start_metronome", tempo(o.id, 90)],
      ["update_temp", tempo(o.id, 90)],
      ["stop_metronome", { group_id: o.id, current_client_ts: 1 }],
    ] as const) {
      expect(call(m, meth, p)).toEqual({ status: "error", message: Msg.notOwner });
      expect(call(m, meth, { ...p, group_id: 4242 })).toEqual({ status: "error", message: Msg.noGroup });
    }
    expect(m.peer.sent).toEqual([]);
    // A client whose own group was never created cannot control it either.
    expect(call(m, "start_metronome", tempo(m.id, 90))).toEqual({ status: "error", message: Msg.noGroup });
  });
});

describe("the beat grid", () => {
  test("start: success first, then play_sound to every member, lead_ms ahead in each member's clock", () => {
    const o = group(0);
    const m1 = client(+5000);
    const m2 = client(-1234);
    for (const m of [m1, m2]) call(m, "subscribe_to_group", { group_id: o.id });
    const now = clock.now();
    send(o, { jsonrpc: "2.0", method: "start_metronome", params: tempo(o.id, 120), id: "s" });
    expect(o.peer.take()).toEqual([
      { jsonrpc: "2.0", result: { status: "success" }, id: "s" },
      { jsonrpc: "2.0", method: "play_sound", params: { start_ts: now + LEAD, bpm: 120 }, id: 1 },
    ]);
    expect(m1.peer.take()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: now + LEAD + 5000, bpm: 120 }, id: 1 }]);
    expect(m2.peer.take()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: now + LEAD - 1234, bpm: 120 }, id: 1 }]);
  });

  test("update_temp while playing: phase continuous, from the next beat of the old grid", () => {
    const o = group();
    const m = client(300);
    call(m, "subscribe_to_group", { group_id: o.id });
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 120));
    o.peer.take();
    m.peer.take();
    clock.advance(LEAD + 1700); // 1700 ms after the first beat: beats at +1500, +2000
    expect(call(o, "update_temp", tempo(o.id, 90))).toEqual({ status: "success" });
    expect(o.peer.take()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: t0 + 2000, bpm: 90 }, id: 2 }]);
    expect(m.peer.take()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: t0 + 2000 + 300, bpm: 90 }, id: 2 }]);
    // Chained: 90 bpm from t0+2000 → next beat after +2900 is t0 + 2000 + 2·666.67 = t0 + 3333.
    clock.advance(1200);
    call(o, "update_temp", tempo(o.id, 60));
    expect(o.peer.take()[0].params).toEqual({ start_ts: t0 + 3333, bpm: 60 });
  });

  test("update_temp while stopped only stores the tempo", () => {
    const o = group();
    expect(call(o, "update_temp", tempo(o.id, 77))).toEqual({ status: "success" });
    expect(o.peer.sent).toEqual([]);
    expect(hub.groups.get(o.id)!.bpm).toBe(77);
    expect(hub.groups.get(o.id)!.grid).toBeNull();
  });

  test("stop: stop_sound to every member; stopping a stopped group sends nothing", () => {
    const o = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: o.id });
    expect(call(o, "stop_metronome", { group_id: o.id, current_client_ts: 1 })).toEqual({ status: "success" });
    expect(o.peer.sent.concat(m.peer.sent)).toEqual([]);
    call(o, "start_metronome", tempo(o.id, 100));
    call(o, "stop_metronome", { group_id: o.id, current_client_ts: 1 });
    for (const c of [o, m]) expect(c.peer.take().map((f) => [f.method, f.params, f.id])).toEqual([["play_sound", expect.anything(), 1], ["stop_sound", null, 2]]);
  });

  test("late joiner to a playing group gets the running grid at once", () => {
    const o = group();
    const t0 = clock.now() + LEAD;
    call(o, "start_metronome", tempo(o.id, 60));
    clock.advance(LEAD + 2300);
    const late = client(-50);
    expect(call(late, "subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
    expect(late.peer.take()).toEqual([{ jsonrpc: "2.0", method: "play_sound", params: { start_ts: t0 + 3000 - 50, bpm: 60 }, id: 1 }]);
    // After a tempo change the joiner gets the new segment's grid.
    call(o, "update_temp", tempo(o.id, 120)); // from t0 + 3000, the next 60 bpm beat
    late.peer.take();
    clock.advance(2000); // now t0 + 4300
    call(late, "subscribe_to_group", { group_id: o.id }); // re-subscribe = resync
    expect(late.peer.take()[0].params).toEqual({ start_ts: t0 + 4500 - 50, bpm: 120 });
  });

  test("start while playing restarts the grid lead_ms ahead", () => {
    const o = group();
    call(o, "start_metronome", tempo(o.id, 60));
    clock.advance(3210);
    call(o, "start_metronome", tempo(o.id, 100));
    expect(o.peer.take().at(-1).params).toEqual({ start_ts: clock.now() + LEAD, bpm: 100 });
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
    const [replies, play, stop] = c.peer.take();
    expect(replies.map((r: any) => r.id)).toEqual([1, 2, 3]);
    expect(play.method).toBe("play_sound");
    expect(stop.method).toBe("stop_sound");
  });
});

describe("membership", () => {
  test("subscribing again moves the client; leaving a playing group for a silent one stops it", () => {
    const a = group();
    const b = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: a.id });
    call(a, "start_metronome", tempo(a.id, 100));
    m.peer.take();
    call(m, "subscribe_to_group", { group_id: b.id });
    expect(m.peer.take().map((f) => f.method)).toEqual(["stop_sound"]);
    expect(hub.groups.get(a.id)!.members.has(m.s)).toBe(false);
    expect(hub.groups.get(b.id)!.members.has(m.s)).toBe(true);
    // a's next start no longer reaches m
    call(a, "start_metronome", tempo(a.id, 100));
    expect(m.peer.sent).toEqual([]);
  });

  test("an owner subscribing elsewhere keeps its own group", () => {
    const a = group();
    const b = group();
    call(a, "subscribe_to_group", { group_id: b.id });
    expect(hub.groups.get(a.id)!.members.has(a.s)).toBe(true);
    expect(hub.groups.get(b.id)!.members.has(a.s)).toBe(true);
    call(a, "subscribe_to_group", { group_id: a.id }); // its own group: nothing moves
    expect(hub.groups.get(b.id)!.members.has(a.s)).toBe(true);
  });

  test("owner leaving dissolves the group: stop_sound if playing, then 'group is not exist'", () => {
    const o = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: o.id });
    call(o, "start_metronome", tempo(o.id, 100));
    m.peer.take();
    hub.disconnect(o.s);
    expect(m.peer.take().map((f) => [f.method, f.id])).toEqual([["stop_sound", 2]]);
    expect(hub.groups.size).toBe(0);
    expect(call(m, "subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: Msg.noGroup });
    // A silent group dissolves silently.
    const o2 = group();
    const m2 = client();
    call(m2, "subscribe_to_group", { group_id: o2.id });
    hub.disconnect(o2.s);
    expect(m2.peer.sent).toEqual([]);
  });

  test("a member that disconnects is removed", () => {
    const o = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: o.id });
    hub.disconnect(m.s);
    expect([...hub.groups.get(o.id)!.members]).toEqual([o.s]);
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
    expect(c.peer.take()[0].params.start_ts).toBe(now + LEAD + skew + 5);
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
