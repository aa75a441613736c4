// /connect end to end: the real server on port 0, real WebSocket clients.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { pages } from "../../../src/pages/registry.ts";
import { metronomeProtocol } from "../../../src/protocols/metronome/plugin.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { RpcClient } from "./rpc-client.ts";

const LEAD = 400;
let s: TestServer;
const open: RpcClient[] = [];

beforeAll(async () => {
  s = await bootServer({ metronomeLeadMs: LEAD }, { protocols: [metronomeProtocol] });
});
afterAll(() => s.stop());
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function connect(path = "/connect"): Promise<RpcClient> {
  const c = await RpcClient.open(s.ws(path));
  open.push(c);
  return c;
}

/** A client with an id; its clock is `skew` ms off the server's (as told by time_utc). */
async function client(skew = 0) {
  const c = await connect();
  const { client_id } = await c.result("get_id", { time_utc: Date.now() + skew });
  return Object.assign(c, { id: client_id as number });
}

async function owner() {
  const o = await client();
  expect(await o.result("create_group", { time_utc: Date.now() })).toEqual({ status: "success", group_id: o.id });
  return o;
}

const tempo = (g: number, bpm: number) => ({ group_id: g, current_client_ts: Date.now(), bpm });

describe("connection and raw frames", () => {
  test("open frame on /connect and on the /metronome alias", async () => {
    for (const path of ["/connect", "/metronome"]) {
      const c = await TestClient.open(s.ws(path));
      expect(await c.next()).toBe('{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}');
      c.close();
    }
  });

  test("raw-frame regression: 007 is a parse error; \"x\" and 3 are invalid requests; the socket stays open", async () => {
    const c = await connect();
    c.send("007");
    expect(await c.reply()).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null });
    for (const frame of ['"x"', "3"]) {
      c.send(frame);
      expect(await c.reply()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null });
    }
    expect((await c.result("get_id", { time_utc: Date.now() })).status).toBe("success");
  });

  test("a binary frame is read as UTF-8 JSON; invalid UTF-8 is a parse error", async () => {
    const c = await connect();
    c.send(new TextEncoder().encode('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1},"id":"bin"}'));
    expect(await c.reply()).toMatchObject({ id: "bin", result: { status: "success" } });
    c.send(new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(await c.reply()).toMatchObject({ error: { code: -32700 }, id: null });
  });

  test("error classes over the wire: -32601, -32602, -32600 with the id echoed", async () => {
    const c = await client();
    expect(await c.call("no_such_method", {})).toMatchObject({ error: { code: -32601, message: "Method not found" } });
    expect(await c.call("start_metronome", { group_id: c.id, current_client_ts: 1, bpm: 401 })).toMatchObject({ error: { code: -32602 } });
    expect(await c.call("subscribe_to_group", { group_id: "abc" })).toMatchObject({ error: { code: -32602 } });
    c.send({ jsonrpc: "1.0", method: "get_id", params: { time_utc: 1 }, id: 77 });
    expect(await c.reply()).toMatchObject({ error: { code: -32600 }, id: 77 });
    expect(await c.call("get_id", { time_utc: "now" })).toMatchObject({ error: { code: -32602 } });
  });

  test("batches: mixed, empty, all notifications, client replies inside", async () => {
    const c = await connect();
    c.send("[]");
    expect(await c.reply()).toMatchObject({ error: { code: -32600 }, id: null });
    c.send([
      { jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: "a" },
      { jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() } },
      { jsonrpc: "2.0", result: { status: "success" }, id: 5 },
      1,
      { jsonrpc: "2.0", method: "nope", id: "b" },
    ]);
    const r = await c.reply();
    expect(r).toHaveLength(3);
    expect(r[0]).toMatchObject({ id: "a", result: { status: "success" } });
    expect(r[1]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(r[2]).toMatchObject({ id: "b", error: { code: -32601 } });
    c.send([{ jsonrpc: "2.0", method: "get_id", params: { time_utc: 1 } }, { jsonrpc: "2.0", result: null, id: 1 }]);
    c.send({ jsonrpc: "2.0", error: { code: 1, message: "client-side failure" }, id: 2 });
    expect(await c.quiet(200)).toBe(true);
  });

  test("a plain HTTP request to the endpoints gets 426 (on /metronome: unless a page is registered there)", async () => {
    expect((await fetch(s.http + "/connect")).status).toBe(426);
    // docs/pages.md#serving: a browser opening /metronome gets the metronome page once it exists.
    const page = pages.some((p) => p.path === "/metronome");
    expect((await fetch(s.http + "/metronome")).status).toBe(page ? 200 : 426);
  });
});

describe("groups over the wire", () => {
  test("domain errors use the seed's result shape with the contract's messages", async () => {
    const c = await connect();
    expect((await c.call("create_group", { time_utc: Date.now() })).result).toEqual({ status: "error", message: "call get_id first" });
    await c.result("get_id", { time_utc: Date.now() });
    expect(await c.result("subscribe_to_group", { group_id: 987654 })).toEqual({ status: "error", message: "group is not exist" });
    const o = await owner();
    await c.result("subscribe_to_group", { group_id: String(o.id) });
    expect(await c.result("start_metronome", tempo(o.id, 90))).toEqual({ status: "error", message: "only the group owner can control the metronome" });
  });

  test("client ids are distinct positive integers", async () => {
    const ids = await Promise.all([client(), client(), client()]).then((cs) => cs.map((c) => c.id));
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(Number.isInteger(id) && id > 0).toBe(true);
  });

  test("start → play_sound to all, update_temp on the old grid, stop → stop_sound; K counts per connection", async () => {
    const o = await owner();
    const m = await client();
    await m.result("subscribe_to_group", { group_id: o.id });
    const before = Date.now();
    expect(await o.result("start_metronome", tempo(o.id, 120))).toEqual({ status: "success" });
    const po = await o.request("play_sound");
    const pm = await m.request("play_sound");
    expect(po).toMatchObject({ jsonrpc: "2.0", params: { bpm: 120 }, id: 1 });
    expect(pm).toMatchObject({ jsonrpc: "2.0", params: { bpm: 120 }, id: 1 });
    // ≥ lead ahead; the owner's one-way clock samples may pull it back by their transit time (loaded box: generous)
    expect(po.params.start_ts).toBeGreaterThanOrEqual(before + LEAD - 100);
    expect(Math.abs(po.params.start_ts - pm.params.start_ts)).toBeLessThan(100); // same clock on both
    // clients may answer the server's requests; nothing comes back
    o.send({ jsonrpc: "2.0", result: { status: "success" }, id: po.id });

    await Bun.sleep(LEAD + 120);
    expect(await o.result("update_temp", tempo(o.id, 90))).toEqual({ status: "success" });
    const up = await o.request("play_sound");
    expect(up).toMatchObject({ params: { bpm: 90 }, id: 2 });
    const k = (up.params.start_ts - po.params.start_ts) / 500;
    expect(Math.abs(k - Math.round(k)) * 500).toBeLessThanOrEqual(1); // a beat of the old 120 bpm grid
    expect(up.params.start_ts).toBeGreaterThan(Date.now() - 20);
    expect((await m.request("play_sound")).params.bpm).toBe(90);

    expect(await o.result("stop_metronome", { group_id: o.id, current_client_ts: Date.now() })).toEqual({ status: "success" });
    for (const c of [o, m]) expect(await c.request("stop_sound")).toEqual({ jsonrpc: "2.0", method: "stop_sound", params: null, id: 3 });
  });

  test("a late joiner gets the running grid at once; a skewed clock gets start_ts in its own clock", async () => {
    const o = await owner();
    await o.result("start_metronome", tempo(o.id, 60));
    const first = (await o.request("play_sound")).params.start_ts;
    await Bun.sleep(LEAD + 300);
    const skew = 3_600_000; // a phone one hour ahead
    const late = await client(skew);
    expect(await late.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
    const p = await late.request("play_sound");
    expect(p.params.bpm).toBe(60);
    const serverBeat = p.params.start_ts - skew;
    expect(serverBeat).toBeGreaterThan(Date.now() - 20); // ahead, so it can be scheduled
    const k = (serverBeat - first) / 1000;
    expect(Math.abs(k - Math.round(k)) * 1000).toBeLessThan(100); // on the grid, up to the one-way clock estimates' transit
  });

  test("owner disconnect dissolves the group: stop_sound, then 'group is not exist'", async () => {
    const o = await owner();
    const m = await client();
    await m.result("subscribe_to_group", { group_id: o.id });
    await o.result("start_metronome", tempo(o.id, 100));
    await m.request("play_sound");
    o.close();
    expect((await m.request("stop_sound")).params).toBeNull();
    expect(await m.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
  });

  test("sync_time: NTP timestamps, and a reported exchange sets the offset", async () => {
    const c = await client();
    const t1 = Date.now() + 10_000; // a clock 10 s ahead
    const r = await c.result("sync_time", { client_ts: t1 });
    const t4 = Date.now() + 10_000;
    expect(r.client_ts).toBe(t1);
    expect(r.server_recv_ts).toBeLessThanOrEqual(r.server_send_ts);
    expect(Math.abs(r.server_recv_ts - Date.now())).toBeLessThan(1000);
    const previous = { client_ts: t1, server_recv_ts: r.server_recv_ts, server_send_ts: r.server_send_ts, client_recv_ts: t4 };
    await c.result("sync_time", { client_ts: Date.now() + 10_000, previous });
    await c.result("create_group", { time_utc: Date.now() });
    const before = Date.now();
    await c.result("start_metronome", tempo(c.id, 100));
    const start = (await c.request("play_sound")).params.start_ts;
    // The exchange's offset error is at most half its round trip: bounds are generous for a loaded box.
    expect(start - 10_000 - before).toBeGreaterThanOrEqual(LEAD - 150);
    expect(start - 10_000 - before).toBeLessThan(LEAD + 500);
  });

  test("/metrics shows the group gauges", async () => {
    const o = await owner();
    await o.result("start_metronome", tempo(o.id, 100));
    const body = await (await fetch(s.http + "/metrics")).text();
    expect(body).toMatch(/^switchboard_metronome_groups [1-9]\d*$/m);
    expect(body).toMatch(/^switchboard_metronome_playing_groups [1-9]\d*$/m);
  });
});

test("rate limit: a JSON-RPC error with id null, then close 1008", async () => {
  const rs = await bootServer({ rateLimit: 5, rateBurst: 5, rateQueue: 3 }, { protocols: [metronomeProtocol] });
  try {
    const c = await RpcClient.open(rs.ws("/connect"));
    for (let i = 0; i < 30; i++) c.send({ jsonrpc: "2.0", method: "get_id", params: { time_utc: 1 }, id: i });
    let limited: any = null;
    while (!limited) {
      const r = await c.reply();
      if (r.error) limited = r;
    }
    expect(limited).toEqual({ jsonrpc: "2.0", error: { code: -32005, message: "too many messages waiting: slow down" }, id: null });
    expect((await c.c.waitClose()).code).toBe(1008);
  } finally {
    await rs.stop();
  }
});
