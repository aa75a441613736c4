// Hub rules with a fake clock: ids, groups, owner-only control, membership, dissolve.
import { beforeEach, describe, expect, test } from "bun:test";
import { Msg } from "../../../src/protocols/metronome/errors.ts";
import { call, client, clock, connect, group, hub, resetHub, tempo } from "./hub-harness.ts";

beforeEach(resetHub);

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
    o.peer.takeJson(); // its play_sound
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

describe("membership", () => {
  test("subscribing again moves the client; leaving a playing group for a silent one stops it", () => {
    const a = group();
    const b = group();
    const m = client();
    call(m, "subscribe_to_group", { group_id: a.id });
    call(a, "start_metronome", tempo(a.id, 100));
    m.peer.takeJson();
    call(m, "subscribe_to_group", { group_id: b.id });
    expect(m.peer.takeJson().map((f) => f.method)).toEqual(["stop_sound"]);
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
    m.peer.takeJson();
    hub.disconnect(o.s);
    expect(m.peer.takeJson().map((f) => [f.method, f.id])).toEqual([["stop_sound", 2]]);
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
