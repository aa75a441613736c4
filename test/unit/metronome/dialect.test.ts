// The later MetronomeWeb dialect (docs/metronome.md#later-metronomeweb-dialect), parsed: params null
// only where documented, get_id {client_id} and its old-id rules, ts_ms, and how a client of that
// dialect is recognised. Pure: fake clock, fake connections.
import { beforeEach, describe, expect, test } from "bun:test";
import { dispatch, type SyncMethod } from "../../../src/protocols/metronome/codec.ts";
import { NULL_PARAMS } from "../../../src/protocols/metronome/methods.ts";
import { SequentialIds } from "../../../src/protocols/metronome/registry.ts";
import { world, type World } from "./harness.ts";

const INVALID = (id: string) => `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":${id}}`;

describe("the codec's params-null leniency", () => {
  const seen: unknown[] = [];
  const methods = new Map<string, SyncMethod<null>>([
    ["lenient", (p) => (seen.push(p), { result: "ok" })],
    ["strict", (p) => (seen.push(p), { result: "ok" })],
  ]);
  const nullParams = new Set(["lenient"]);

  test("params null reaches a method named in nullParams as null; every other method gets Invalid Request", () => {
    seen.length = 0;
    expect(dispatch('{"jsonrpc":"2.0","method":"lenient","params":null,"id":1}', methods, null, { nullParams }).reply).toBe('{"jsonrpc":"2.0","result":"ok","id":1}');
    expect(dispatch('{"jsonrpc":"2.0","method":"strict","params":null,"id":2}', methods, null, { nullParams }).reply).toBe(INVALID("2"));
    expect(dispatch('{"jsonrpc":"2.0","method":"lenient","params":null,"id":3}', methods, null).reply).toBe(INVALID("3"));
    expect(seen).toEqual([null]);
  });

  test("only null: other non-structured params stay Invalid Request for the lenient method too; batches and notifications alike", () => {
    for (const p of ['"x"', "3", "true"]) expect(dispatch(`{"jsonrpc":"2.0","method":"lenient","params":${p},"id":4}`, methods, null, { nullParams }).reply).toBe(INVALID("4"));
    const batch = dispatch('[{"jsonrpc":"2.0","method":"lenient","params":null,"id":5},{"jsonrpc":"2.0","method":"strict","params":null,"id":6},{"jsonrpc":"2.0","method":"lenient","params":null}]', methods, null, { nullParams });
    expect(batch.reply).toBe(`[{"jsonrpc":"2.0","result":"ok","id":5},${INVALID("6")}]`);
  });

  test("peer responses go to onResponse with their id and result, and are never answered", () => {
    const got: unknown[] = [];
    const onResponse = (r: { id: unknown; result?: unknown; error?: unknown }) => void got.push([r.id, r.result ?? r.error]);
    expect(dispatch('{"jsonrpc": "2.0", "result": {"status":"success","ts_ms":17}, "id": 4}', methods, null, { onResponse }).reply).toBeNull();
    expect(dispatch('[{"jsonrpc":"2.0","error":{"code":1,"message":"m"},"id":"a"},{"jsonrpc":"2.0","method":"strict","id":9}]', methods, null, { onResponse }).reply).toBe('[{"jsonrpc":"2.0","result":"ok","id":9}]');
    expect(got).toEqual([
      [4, { status: "success", ts_ms: 17 }],
      ["a", { code: 1, message: "m" }],
    ]);
  });

  test("the metronome lets params null through for create_group alone (the later dialect's one such method)", () => {
    expect([...NULL_PARAMS]).toEqual(["create_group"]);
  });
});

let w: World;
beforeEach(() => {
  w = world();
});

describe("MetronomeWeb's later frames, exactly as its client writes them", () => {
  test("get_id {client_id: null}, create_group params null, start/stop with ts_ms: all succeed", () => {
    const p = w.connect();
    w.send(p, '{"jsonrpc": "2.0", "method": "get_id", "params": {"client_id": null}, "id": 1}');
    expect(p.peer.sent[0]).toBe('{"jsonrpc":"2.0","result":{"status":"success","client_id":1},"id":1}');
    w.send(p, '{"jsonrpc": "2.0", "method": "create_group", "params": null, "id": 2}');
    expect(p.peer.sent).toContain('{"jsonrpc":"2.0","result":{"status":"success","group_id":1},"id":2}');
    w.send(p, `{"jsonrpc": "2.0", "method": "start_metronome", "params": {"group_id": 1,"ts_ms":${w.clock.now()},"bpm":90}, "id": 3}`);
    w.send(p, `{"jsonrpc": "2.0", "method": "update_temp", "params": {"group_id": 1,"ts_ms":${w.clock.now()},"bpm":100}, "id": 4}`);
    w.send(p, `{"jsonrpc": "2.0", "method": "stop_metronome", "params": {"group_id": 1,"ts_ms":${w.clock.now()}}, "id": 5}`);
    for (const id of [3, 4, 5]) expect(p.peer.sent).toContain(`{"jsonrpc":"2.0","result":{"status":"success"},"id":${id}}`);
  });

  test("its buttons' hard-coded group 111222 and 2022 timestamp: a domain error, not -32602", () => {
    const p = w.connect();
    w.result(p, "get_id", { client_id: null });
    w.send(p, '{"jsonrpc": "2.0", "method": "start_metronome", "params": {"group_id": 111222,"ts_ms":1662817489000,"bpm":90}, "id": 40}');
    w.send(p, '{"jsonrpc": "2.0", "method": "stop_metronome", "params": {"group_id": 111222,"ts_ms":1662817489000}, "id": 41}');
    for (const id of [40, 41]) expect(p.peer.sent).toContain(`{"jsonrpc":"2.0","result":{"status":"error","message":"group is not exist"},"id":${id}}`);
    // A timestamp years off is no clock sample (docs/metronome.md#clock-offsets): the estimate is untouched.
    expect(p.s.clock.offset).toBe(0);
  });

  test("params null is an Invalid Request for every method but create_group", () => {
    const p = w.connect();
    w.result(p, "get_id", { time_utc: w.clock.now() });
    for (const m of ["get_id", "subscribe_to_group", "start_metronome", "update_temp", "stop_metronome", "sync_time", "get_time", "nope"]) {
      w.send(p, `{"jsonrpc":"2.0","method":"${m}","params":null,"id":7}`);
      expect(p.peer.take()).toEqual([INVALID("7")]);
    }
  });

  test("create_group takes no params at all, or {time_utc}; a time_utc of the wrong type is still -32602", () => {
    const p = w.connect();
    w.result(p, "get_id", { time_utc: w.clock.now() });
    expect(w.result(p, "create_group")).toEqual({ status: "success", group_id: 1 });
    expect(w.result(p, "create_group", {})).toEqual({ status: "success", group_id: 1 });
    expect(w.call(p, "create_group", { time_utc: null }).error).toEqual({ code: -32602, message: "Invalid params", data: "time_utc: expected a number (client clock, ms since the Unix epoch)" });
  });

  test("ts_ms and current_client_ts: either one; neither names the original's field; a bad ts_ms names ts_ms", () => {
    const p = w.connect();
    w.result(p, "get_id", { client_id: null });
    w.result(p, "create_group");
    const err = (method: string, params: object) => w.call(p, method, params).error?.data;
    expect(err("start_metronome", { group_id: 1, bpm: 90 })).toBe("current_client_ts: expected a number (client clock, ms since the Unix epoch)");
    expect(err("stop_metronome", { group_id: 1 })).toBe("current_client_ts: expected a number (client clock, ms since the Unix epoch)");
    expect(err("update_temp", { group_id: 1, ts_ms: "now", bpm: 90 })).toBe("ts_ms: expected a number (client clock, ms since the Unix epoch)");
    expect(err("start_metronome", { group_id: 1, ts_ms: 1, bpm: 900 })).toBe("bpm: expected a number from 20 to 400");
    expect(w.result(p, "start_metronome", { group_id: 1, current_client_ts: w.clock.now(), ts_ms: w.clock.now(), bpm: 90 })).toEqual({ status: "success" });
  });

  test("ts_ms is a one-way clock sample, as current_client_ts is", () => {
    const p = w.connect();
    w.result(p, "get_id", { time_utc: w.clock.now() });
    w.result(p, "create_group", { time_utc: w.clock.now() });
    w.result(p, "stop_metronome", { group_id: 1, ts_ms: w.clock.now() + 4000 });
    expect(p.s.clock.offset).toBe(4000);
  });

  test("get_id: client_id must be null or an integer from 1; time_utc or client_id must be there", () => {
    const p = w.connect();
    for (const bad of [{ client_id: "5" }, { client_id: 0 }, { client_id: -2 }, { client_id: 1.5 }, { client_id: true }]) {
      expect(w.call(p, "get_id", bad).error).toEqual({ code: -32602, message: "Invalid params", data: "client_id: expected null or a client id (an integer from 1)" });
    }
    expect(w.call(p, "get_id", {}).error.data).toBe("time_utc: expected a number (client clock, ms since the Unix epoch)");
    expect(w.result(p, "get_id", { time_utc: w.clock.now(), client_id: null })).toEqual({ status: "success", client_id: 1 });
  });
});

describe("old ids asked back with get_id {client_id: N}", () => {
  test("a free id (its connection closed, its group dissolved) comes back; the group does not", () => {
    const a = w.connect();
    expect(w.result(a, "get_id", { client_id: null }).client_id).toBe(1);
    w.result(a, "create_group");
    const m = w.connect();
    w.result(m, "get_id", { time_utc: w.clock.now() });
    w.close(a);
    const again = w.connect();
    expect(w.result(again, "get_id", { client_id: 1 })).toEqual({ status: "success", client_id: 1 });
    expect(w.result(m, "subscribe_to_group", { group_id: 1 })).toEqual({ status: "error", message: "group is not exist" });
    expect(w.result(again, "create_group")).toEqual({ status: "success", group_id: 1 });
  });

  test("an id a live connection holds is not given: a new one instead, never a duplicate", () => {
    const a = w.connect();
    w.result(a, "get_id", { client_id: null });
    const b = w.connect();
    expect(w.result(b, "get_id", { client_id: 1 }).client_id).toBe(2);
    // Even one that owns nothing: holding the id is enough.
    const c = w.connect();
    expect(w.result(c, "get_id", { client_id: 2 }).client_id).toBe(3);
  });

  test("an id this server never issued is not given (it would collide with a later fresh id)", () => {
    const a = w.connect();
    expect(w.result(a, "get_id", { client_id: 111222 }).client_id).toBe(1);
    const b = w.connect();
    expect(w.result(b, "get_id", { client_id: 2 }).client_id).toBe(2); // fresh, in sequence: 2 was not issued before this call
    const c = w.connect();
    expect(w.result(c, "get_id", { time_utc: w.clock.now() }).client_id).toBe(3);
  });

  test("two clients asking for the same free id: the first gets it, the second a new one", () => {
    const a = w.connect();
    w.result(a, "get_id", { client_id: null });
    w.close(a);
    const [x, y] = [w.connect(), w.connect()];
    expect(w.result(x, "get_id", { client_id: 1 }).client_id).toBe(1);
    expect(w.result(y, "get_id", { client_id: 1 }).client_id).toBe(2);
    w.close(x);
    expect(w.result(w.connect(), "get_id", { client_id: 1 }).client_id).toBe(1); // free again once x closed
  });

  test("a connection's id never changes: get_id {client_id: other} returns its own", () => {
    const a = w.connect();
    w.result(a, "get_id", { client_id: null });
    const b = w.connect();
    w.result(b, "get_id", { client_id: null });
    w.close(b);
    expect(w.result(a, "get_id", { client_id: 2 }).client_id).toBe(1);
  });

  test("the original dialect never gets an old id back: every get_id {time_utc} is a fresh one", () => {
    const a = w.connect();
    w.result(a, "get_id", { time_utc: w.clock.now() });
    w.close(a);
    expect(w.result(w.connect(), "get_id", { time_utc: w.clock.now() }).client_id).toBe(2);
  });

  test("SequentialIds.reclaim: issued and not held; release makes it free again", () => {
    const ids = new SequentialIds();
    expect([ids.next(), ids.next()]).toEqual([1, 2]);
    expect([ids.reclaim(1), ids.reclaim(3), ids.reclaim(0), ids.reclaim(1.5)]).toEqual([false, false, false, false]);
    ids.release(1);
    expect([ids.reclaim(1), ids.reclaim(1)]).toEqual([true, false]);
    expect(ids.next()).toBe(3);
  });
});

describe("who is sent get_time", () => {
  const GET_TIME = /^\{"jsonrpc":"2\.0","method":"get_time","params":null,"id":(\d+)\}$/;
  const getTimes = (p: ReturnType<World["connect"]>) => p.peer.sent.filter((f) => f.includes('"get_time"'));

  test("get_id with a client_id member: the exact get_time frame right after the reply", () => {
    const p = w.connect();
    w.send(p, '{"jsonrpc": "2.0", "method": "get_id", "params": {"client_id": null}, "id": 1}');
    expect(p.peer.sent).toEqual(['{"jsonrpc":"2.0","result":{"status":"success","client_id":1},"id":1}', '{"jsonrpc":"2.0","method":"get_time","params":null,"id":1}']);
  });

  test("create_group with params null, or ts_ms, marks the later dialect too", () => {
    const a = w.connect();
    w.result(a, "get_id", { time_utc: w.clock.now() });
    expect(getTimes(a)).toEqual([]);
    w.send(a, '{"jsonrpc": "2.0", "method": "create_group", "params": null, "id": 2}');
    expect(getTimes(a)).toHaveLength(1);
    const b = w.connect();
    w.result(b, "get_id", { time_utc: w.clock.now() });
    w.result(b, "stop_metronome", { group_id: 99, ts_ms: w.clock.now() });
    expect(getTimes(b)).toHaveLength(1);
    expect(GET_TIME.test(getTimes(b)[0]!)).toBe(true);
  });

  test("the original dialect is never sent get_time, even when it answers play_sound", () => {
    const o = w.connect();
    w.result(o, "get_id", { time_utc: w.clock.now() });
    w.result(o, "create_group", { time_utc: w.clock.now() });
    w.result(o, "create_group");
    w.result(o, "sync_time", { client_ts: w.clock.now() });
    w.result(o, "start_metronome", { group_id: 1, current_client_ts: w.clock.now(), bpm: 90 });
    const k = w.requests(o, "play_sound")[0].id;
    w.send(o, `{"jsonrpc":"2.0","result":{"status":"success"},"id":${k}}`);
    w.clock.advance(120_000);
    expect(o.peer.sent.filter((f) => f.includes("get_time"))).toEqual([]);
    expect(w.clock.pending).toBe(0);
  });

  test("invalid params are not a mark: a get_id {client_id: \"x\"} that fails sends no get_time", () => {
    const p = w.connect();
    w.call(p, "get_id", { client_id: "x" });
    expect(getTimes(p)).toEqual([]);
  });
});
