// /connect's methods (docs/metronome.md#methods, #groups-and-disconnects): exact result shapes
// and messages, ids, groups, owner rules, params checking, late joiners, moving, leaving and
// dissolving. Black box: the real server with default options, real sockets.
import { describe, expect, test } from "bun:test";
import { MetronomeClient, metronomeServer } from "../../helpers/clients/metronome.ts";
import { untilInstant } from "../../helpers/wait.ts";

const phones = metronomeServer();
const { connect, withId, owner, member } = phones;
const tempo = (c: MetronomeClient, g: number | string, bpm: unknown) => ({ group_id: g, current_client_ts: c.now(), bpm });
const stopParams = (c: MetronomeClient, g: number | string) => ({ group_id: g, current_client_ts: c.now() });

const SUCCESS = '{"status":"success"}';
const err = (message: string) => `{"status":"error","message":"${message}"}`;
const NO_ID = err("call get_id first");
const NO_GROUP = err("group is not exist");
const NOT_OWNER = err("only the group owner can control the metronome");
const PLAY = /^\{"jsonrpc":"2\.0","method":"play_sound","params":\{"start_ts":(-?\d+),"bpm":(\d+(?:\.\d+)?)\},"id":(\d+)\}$/;
const STOP = (k: number) => `{"jsonrpc":"2.0","method":"stop_sound","params":null,"id":${k}}`;
/** The exact reply text for a call's result. */
const replyOf = (id: number, result: string) => `{"jsonrpc":"2.0","result":${result},"id":${id}}`;

describe("get_id", () => {
  test("exact reply; positive integer; the same N again on the same connection; never re-issued", async () => {
    const a = await connect();
    const r = await a.call("get_id", { time_utc: 1662817489000 });
    const m = /^\{"jsonrpc":"2\.0","result":\{"status":"success","client_id":([1-9]\d*)\},"id":1\}$/.exec(r.text);
    expect(m).not.toBeNull();
    const n = Number(m![1]);
    expect((await a.call("get_id", { time_utc: 1 })).text).toBe(replyOf(2, `{"status":"success","client_id":${n}}`));
    a.close();
    const seen = new Set([n]);
    for (let i = 0; i < 5; i++) {
      const b = await withId();
      expect(seen.has(b.id)).toBe(false);
      seen.add(b.id);
    }
  });

  test("the original clients' example params, positional params, and the /metronome alias all work", async () => {
    const c = await connect(0, "/metronome");
    const byName = await c.result("get_id", { time_utc: 123123123 });
    expect(await c.result("get_id", [123123123])).toEqual(byName);
  });

  test("every other method before get_id: call get_id first", async () => {
    const c = await connect();
    const calls: Array<[string, unknown]> = [
      ["create_group", { time_utc: 1 }],
      ["subscribe_to_group", { group_id: 1 }],
      ["start_metronome", { group_id: 1, current_client_ts: 1, bpm: 90 }],
      ["update_temp", { group_id: 1, current_client_ts: 1, bpm: 90 }],
      ["stop_metronome", { group_id: 1, current_client_ts: 1 }],
      ["sync_time", { client_ts: 1 }],
    ];
    for (const [method, params] of calls) {
      const r = await c.call(method, params);
      expect(r.text).toBe(replyOf(r.json.id, NO_ID));
    }
    expect(await c.quiet(100)).toBe(true);
  });
});

describe("create_group and subscribe_to_group", () => {
  test("create_group: group_id = client_id, idempotent, exact reply", async () => {
    const c = await withId();
    for (let i = 0; i < 2; i++) {
      const r = await c.call("create_group", { time_utc: c.now() });
      expect(r.text).toBe(replyOf(r.json.id, `{"status":"success","group_id":${c.id}}`));
    }
  });

  test("subscribe: integer or numeric string; unknown group → group is not exist", async () => {
    const o = await owner();
    const m = await withId();
    for (const g of [o.id, String(o.id)]) {
      const r = await m.call("subscribe_to_group", { group_id: g });
      expect(r.text).toBe(replyOf(r.json.id, SUCCESS));
    }
    for (const g of [o.id + 100000, String(o.id + 100000), 0, -1]) {
      const r = await m.call("subscribe_to_group", { group_id: g });
      expect(r.text).toBe(replyOf(r.json.id, NO_GROUP));
    }
    // A client that has an id but no group of its own is not a group.
    const r = await m.call("subscribe_to_group", { group_id: m.id });
    expect(r.text).toBe(replyOf(r.json.id, NO_GROUP));
  });

  test("ill-typed or missing params are -32602 with the id echoed; the socket stays open", async () => {
    const o = await owner();
    const bad: Array<[string, unknown]> = [
      ["get_id", { time_utc: "now" }],
      ["get_id", {}],
      ["get_id", undefined],
      ["create_group", { time_utc: null }],
      ["subscribe_to_group", { group_id: "abc" }],
      ["subscribe_to_group", { group_id: 1.5 }],
      ["subscribe_to_group", { group_id: null }],
      ["subscribe_to_group", {}],
      ["start_metronome", tempo(o, o.id, 19)],
      ["start_metronome", tempo(o, o.id, 401)],
      ["start_metronome", tempo(o, o.id, "90")],
      ["start_metronome", tempo(o, o.id, null)],
      ["start_metronome", { group_id: o.id, bpm: 90 }],
      ["update_temp", tempo(o, o.id, 0)],
      ["update_temp", tempo(o, o.id, -90)],
      ["stop_metronome", { group_id: o.id }],
      ["stop_metronome", { current_client_ts: 1 }],
      ["sync_time", { client_ts: "x" }],
      ["sync_time", { client_ts: 1, previous: { client_ts: 1 } }],
    ];
    for (const [method, params] of bad) {
      const r = await o.call(method, params);
      expect(r.json.error?.code).toBe(-32602);
      expect(r.json.error?.message).toBe("Invalid params");
      expect(r.text.startsWith('{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"')).toBe(true);
      expect(r.text.endsWith(`},"id":${r.json.id}}`)).toBe(true);
    }
    expect(o.ws.closed).toBeNull();
    expect(await o.quiet(100)).toBe(true); // none of them started anything
  });

  test("bpm 20 and 400 (the bounds) and fractional tempos are accepted and echoed as sent", async () => {
    const o = await owner();
    for (const bpm of [20, 400, 92.5]) {
      expect(await o.result("start_metronome", tempo(o, o.id, bpm))).toEqual({ status: "success" });
      const p = await o.request("play_sound");
      expect(PLAY.exec(p.text)![2]).toBe(String(bpm));
    }
  });

  test("extra members in params and in the request are tolerated (extensions are additive)", async () => {
    const c = await connect();
    c.send({ jsonrpc: "2.0", method: "get_id", params: { time_utc: 1, device: "phone" }, id: 1, meta: { x: 1 } });
    expect(JSON.parse(await c.reply()).result.status).toBe("success");
  });
});

describe("owner rules", () => {
  test("only the owner controls: members and strangers get the exact message; unknown group wins over owner", async () => {
    const o = await owner();
    const m = await member(o.id);
    const stranger = await owner();
    for (const c of [m, stranger]) {
      for (const [method, params] of [
        ["start_metronome", tempo(c, o.id, 90)],
        ["update_temp", tempo(c, String(o.id), 90)],
        ["stop_metronome", stopParams(c, o.id)],
      ] as const) {
        const r = await c.call(method, params);
        expect(r.text).toBe(replyOf(r.json.id, NOT_OWNER));
      }
      for (const [method, params] of [
        ["start_metronome", tempo(c, 987654321, 90)],
        ["update_temp", tempo(c, 987654321, 90)],
        ["stop_metronome", stopParams(c, 987654321)],
      ] as const) {
        const r = await c.call(method, params);
        expect(r.text).toBe(replyOf(r.json.id, NO_GROUP));
      }
    }
    // Nobody was told to play.
    for (const c of [o, m, stranger]) expect(await c.quiet(100)).toBe(true);
  });

  test("the owner controls with group_id as a numeric string too", async () => {
    const o = await owner();
    expect((await o.call("start_metronome", tempo(o, String(o.id), 100))).text).toMatch(/"result":\{"status":"success"\}/);
    expect(PLAY.test((await o.request("play_sound")).text)).toBe(true);
    expect(await o.result("stop_metronome", stopParams(o, String(o.id)))).toEqual({ status: "success" });
    expect((await o.request("stop_sound")).text).toBe(STOP(2));
  });
});

describe("start, stop, and what every member sees", () => {
  test("success first, then play_sound to every member, owner included, and not to others; stop_sound to all", async () => {
    const o = await owner();
    const m1 = await member(o.id);
    const m2 = await member(o.id);
    const outsider = await owner();
    const r = await o.call("start_metronome", tempo(o, o.id, 120));
    expect(r.text).toBe(replyOf(r.json.id, SUCCESS));
    expect(o.requests).toHaveLength(0); // the reply came before the owner's play_sound
    for (const c of [o, m1, m2]) {
      const p = PLAY.exec((await c.request("play_sound")).text);
      expect(p).not.toBeNull();
      expect(p![2]).toBe("120");
      expect(p![3]).toBe("1");
    }
    expect(await outsider.quiet(150)).toBe(true);
    expect(await o.result("stop_metronome", stopParams(o, o.id))).toEqual({ status: "success" });
    for (const c of [o, m1, m2]) expect((await c.request("stop_sound")).text).toBe(STOP(2));
    expect(await outsider.quiet(100)).toBe(true);
  });

  test("server request ids K are unique per connection, across play_sound and stop_sound", async () => {
    const o = await owner();
    const m = await member(o.id);
    const ids = { o: [] as number[], m: [] as number[] };
    for (let i = 0; i < 3; i++) {
      await o.result("start_metronome", tempo(o, o.id, 100 + i));
      await o.result("update_temp", tempo(o, o.id, 150 + i));
      await o.result("stop_metronome", stopParams(o, o.id));
    }
    for (const [c, k] of [[o, "o"], [m, "m"]] as const) {
      for (let i = 0; i < 3; i++) for (const method of ["play_sound", "play_sound", "stop_sound"]) ids[k].push((await c.request(method)).json.id);
      expect(new Set(ids[k]).size).toBe(9);
      for (const id of ids[k]) expect(Number.isInteger(id) && id > 0).toBe(true);
    }
  });

  test("K stays unique on a connection that hears two groups, and stop_sound comes also when already stopped", async () => {
    const a = await owner();
    const b = await owner();
    await a.result("subscribe_to_group", { group_id: b.id });
    await a.result("stop_metronome", stopParams(a, a.id)); // already stopped: stop_sound anyway (documented)
    await a.result("start_metronome", tempo(a, a.id, 100));
    await b.result("start_metronome", tempo(b, b.id, 120));
    await b.result("stop_metronome", stopParams(b, b.id));
    const ks = [(await a.request("stop_sound")).json.id, (await a.request("play_sound")).json.id, (await a.request("play_sound")).json.id, (await a.request("stop_sound")).json.id];
    expect(ks).toEqual([1, 2, 3, 4]);
  });

  test("a member moving from a playing group to a silent one gets stop_sound (documented choice)", async () => {
    const a = await owner();
    const b = await owner();
    const m = await member(a.id);
    await a.result("start_metronome", tempo(a, a.id, 100));
    await m.request("play_sound");
    expect(await m.result("subscribe_to_group", { group_id: b.id })).toEqual({ status: "success" });
    expect((await m.request("stop_sound")).text).toBe(STOP(2));
  });

  test("a member that disconnects is removed; the others carry on", async () => {
    const o = await owner();
    const gone = await member(o.id);
    const stay = await member(o.id);
    gone.close();
    await gone.ws.waitClose();
    expect(await o.result("start_metronome", tempo(o, o.id, 90))).toEqual({ status: "success" });
    for (const c of [o, stay]) expect(PLAY.test((await c.request("play_sound")).text)).toBe(true);
  });
});

describe("late joiners and moving between groups", () => {
  test("joining a playing group: success, then play_sound at once with the running tempo, on the grid, ahead", async () => {
    const o = await owner();
    await o.result("start_metronome", tempo(o, o.id, 120));
    const first = Number(PLAY.exec((await o.request("play_sound")).text)![1]);
    await untilInstant(first + 300); // past the first beat
    const late = await withId();
    const r = await late.call("subscribe_to_group", { group_id: o.id });
    expect(r.text).toBe(replyOf(r.json.id, SUCCESS));
    const p = await late.request("play_sound");
    const [, ts, bpm, k] = PLAY.exec(p.text)!;
    expect([bpm, k]).toEqual(["120", "1"]);
    expect(Number(ts)).toBeGreaterThan(p.at); // still ahead when it arrives
    const beats = (Number(ts) - first) / 500;
    expect(Math.abs(beats - Math.round(beats)) * 500).toBeLessThanOrEqual(3); // same clock: on the owner's grid
    expect(Math.round(beats)).toBeGreaterThanOrEqual(1);
  });

  test("joining a stopped group sends nothing; a member moves to at most one other group", async () => {
    const a = await owner();
    const b = await owner();
    const m = await member(a.id);
    expect(await m.quiet(100)).toBe(true);
    expect(await m.result("subscribe_to_group", { group_id: b.id })).toEqual({ status: "success" });
    await a.result("start_metronome", tempo(a, a.id, 100));
    await a.request("play_sound");
    expect(await m.quiet(200)).toBe(true); // moved away from a
    await b.result("start_metronome", tempo(b, b.id, 110));
    expect(PLAY.exec((await m.request("play_sound")).text)![2]).toBe("110");
  });

  test("a member's own group and one other: it hears both owners' commands", async () => {
    const a = await owner();
    const m = await owner();
    expect(await m.result("subscribe_to_group", { group_id: a.id })).toEqual({ status: "success" });
    await a.result("start_metronome", tempo(a, a.id, 100));
    expect(PLAY.exec((await m.request("play_sound")).text)![2]).toBe("100");
    await m.result("start_metronome", tempo(m, m.id, 130));
    expect(PLAY.exec((await m.request("play_sound")).text)![2]).toBe("130");
  });
});

describe("dissolve", () => {
  test("owner leaves while playing: members get stop_sound; the group is gone for everyone", async () => {
    const o = await owner();
    const m = await member(o.id);
    const mover = await member(o.id);
    await o.result("start_metronome", tempo(o, o.id, 100));
    await m.request("play_sound");
    await mover.request("play_sound");
    const gid = o.id;
    o.close();
    for (const c of [m, mover]) expect((await c.request("stop_sound")).text).toBe(STOP(2));
    expect(await m.result("subscribe_to_group", { group_id: gid })).toEqual({ status: "error", message: "group is not exist" });
    expect(await m.result("start_metronome", tempo(m, gid, 90))).toEqual({ status: "error", message: "group is not exist" });
    const newcomer = await withId();
    expect(await newcomer.result("subscribe_to_group", { group_id: String(gid) })).toEqual({ status: "error", message: "group is not exist" });
    expect(newcomer.id).not.toBe(gid); // never re-issued: a new client cannot inherit the old group
    // A dissolved group's members are free to join another one.
    const o2 = await owner();
    expect(await mover.result("subscribe_to_group", { group_id: o2.id })).toEqual({ status: "success" });
  });

  test("owner leaves while stopped: members get nothing, the group is gone", async () => {
    const o = await owner();
    const m = await member(o.id);
    o.close();
    await o.ws.waitClose();
    expect(await m.quiet(200)).toBe(true);
    expect(await m.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
  });
});
