// The metronome across nodes (docs/cluster.md#metronome): client ids unique cluster-wide, a group
// owned on one node heard by its members on the others, each in its own clock; a late joiner on
// another node; the owner's node killed; Redis restarted mid-play. Three nodes and a real
// redis-server as child processes, phones as real WebSocket clients.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startNode, startRedis, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { MetronomeClient, type Frame } from "../../helpers/clients/metronome.ts";
import { waitFor } from "../../helpers/wait.ts";

let redis: TestRedis;
let a: TestNode;
let b: TestNode;
let c: TestNode;
const open: MetronomeClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  [a, b, c] = await Promise.all([startNode(redis, "node-a"), startNode(redis, "node-b"), startNode(redis, "node-c")]);
  await waitFor(async () => ((await health(a)).cluster.nodes as string[]).length === 3, { timeoutMs: 5000, what: "three nodes" });
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop().catch(() => {})]);
  await redis?.stop();
});
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

const health = async (n: TestNode) => (await (await fetch(n.http + "/healthz")).json()) as any;

/** A phone on node n whose clock is `skew` ms off the servers'. */
async function phone(n: TestNode, skew = 0): Promise<MetronomeClient & { id: number }> {
  const p = await MetronomeClient.open(n.ws("/connect"), skew);
  open.push(p);
  const { client_id } = await p.result("get_id", { time_utc: p.now() });
  return Object.assign(p, { id: client_id as number });
}

/** Teach the server p's clock with sync_time exchanges (docs/metronome.md#sync_time). */
async function syncTime(p: MetronomeClient, calls = 4): Promise<void> {
  let previous: object | null = null;
  for (let i = 0; i < calls; i++) {
    const sent = p.now();
    const r = await p.result("sync_time", { client_ts: sent, previous });
    previous = { client_ts: sent, server_recv_ts: r.server_recv_ts, server_send_ts: r.server_send_ts, client_recv_ts: p.now() };
  }
  await p.result("sync_time", { client_ts: p.now(), previous });
}

async function owner(n: TestNode, skew = 0) {
  const o = await phone(n, skew);
  expect(await o.result("create_group", { time_utc: o.now() })).toEqual({ status: "success", group_id: o.id });
  return o;
}

async function member(n: TestNode, g: number, skew = 0) {
  const m = await phone(n, skew);
  if (skew) await syncTime(m);
  expect(await m.result("subscribe_to_group", { group_id: g })).toEqual({ status: "success" });
  return m;
}

const tempo = (o: MetronomeClient & { id: number }, bpm: number) => ({ group_id: o.id, current_client_ts: o.now(), bpm });
/** A play_sound's first beat as a server instant. */
const trueStart = (p: MetronomeClient, f: Frame) => f.json.params.start_ts - p.skew;

describe("metronome across nodes", () => {
  test("client ids are unique across the nodes", async () => {
    const phones = await Promise.all(Array.from({ length: 24 }, (_, i) => phone([a, b, c][i % 3]!)));
    const ids = phones.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toBeGreaterThan(0);
    // The same id on every call from one connection, whichever node it is on.
    expect((await phones[1]!.result("get_id", { time_utc: Date.now() })).client_id).toBe(ids[1]);
  }, 20_000);

  test("replies keep their order while calls wait for Redis, batches included", async () => {
    const o = await owner(a);
    const p = await MetronomeClient.open(b.ws("/connect"));
    open.push(p);
    const frames = [
      { jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: 1 },
      { jsonrpc: "2.0", method: "sync_time", params: { client_ts: Date.now() }, id: 2 },
      { jsonrpc: "2.0", method: "subscribe_to_group", params: { group_id: o.id }, id: 3 },
      [
        { jsonrpc: "2.0", method: "create_group", id: 4 },
        { jsonrpc: "2.0", method: "subscribe_to_group", params: { group_id: 987655 }, id: 5 },
        { jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: 6 },
      ],
      { jsonrpc: "2.0", method: "subscribe_to_group", params: { group_id: o.id }, id: 7 },
    ];
    for (const f of frames) p.send(f);
    const ids: unknown[] = [];
    for (let i = 0; i < frames.length; i++) {
      const r = JSON.parse(await p.reply());
      ids.push(Array.isArray(r) ? r.map((x: { id: number }) => x.id) : r.id);
      if (r.id === 3 || r.id === 7) expect(r.result).toEqual({ status: "success" });
      if (Array.isArray(r)) expect(r[1].result).toEqual({ status: "error", message: "group is not exist" });
    }
    expect(ids).toEqual([1, 2, 3, [4, 5, 6], 7]);
  }, 20_000);

  test("a member on B of a group on A hears start, update_temp and stop, each start_ts in its own clock", async () => {
    const o = await owner(a);
    const onA = await member(a, o.id);
    const onB = await member(b, o.id, 3000); // its clock 3 s ahead, taught with sync_time
    expect(await o.result("start_metronome", tempo(o, 120))).toEqual({ status: "success" });
    const [pa, pb] = [await onA.request("play_sound"), await onB.request("play_sound")];
    expect(pb.json.params.bpm).toBe(120);
    // The same server instant, B's member told it on its own clock (3 s ahead).
    expect(Math.abs(trueStart(onB, pb) - trueStart(onA, pa))).toBeLessThanOrEqual(5);
    expect(pb.json.params.start_ts - pa.json.params.start_ts).toBeGreaterThan(2990);

    expect(await o.result("update_temp", tempo(o, 150))).toEqual({ status: "success" });
    const [ua, ub] = [await onA.request("play_sound"), await onB.request("play_sound")];
    expect(ub.json.params.bpm).toBe(150);
    expect(Math.abs(trueStart(onB, ub) - trueStart(onA, ua))).toBeLessThanOrEqual(5);
    // Phase continuous: the new tempo starts on a beat of the old grid (docs/metronome.md#the-beat-grid).
    const beat = 60000 / 120;
    const k = (trueStart(onB, ub) - trueStart(onB, pb)) / beat;
    expect(Math.abs(k - Math.round(k)) * beat).toBeLessThanOrEqual(2);

    expect(await o.result("stop_metronome", { group_id: o.id, current_client_ts: o.now() })).toEqual({ status: "success" });
    expect((await onB.request("stop_sound")).json.params).toBeNull();
    await onA.request("stop_sound");
  }, 20_000);

  test("late join on another node of a playing group: the running grid at once; only the owner controls it", async () => {
    const o = await owner(a);
    const first = await member(b, o.id);
    await o.result("start_metronome", tempo(o, 100));
    const p0 = await first.request("play_sound");
    const late = await member(c, o.id, -2000);
    const pl = await late.request("play_sound", 1000);
    expect(pl.json.params.bpm).toBe(100);
    const beat = 60000 / 100;
    const k = (trueStart(late, pl) - trueStart(first, p0)) / beat;
    expect(Math.abs(k - Math.round(k)) * beat).toBeLessThanOrEqual(5); // on the same grid
    expect(trueStart(late, pl)).toBeGreaterThan(Date.now());
    // Members elsewhere cannot control it; a group that exists nowhere is not found from any node.
    expect(await late.result("update_temp", { group_id: o.id, current_client_ts: late.now(), bpm: 90 })).toEqual({ status: "error", message: "only the group owner can control the metronome" });
    expect(await late.result("subscribe_to_group", { group_id: 987654 })).toEqual({ status: "error", message: "group is not exist" });
  }, 20_000);

  test("the owner leaving dissolves the group on every node: stop_sound, then group is not exist", async () => {
    const o = await owner(b);
    const onC = await member(c, o.id);
    await o.result("start_metronome", tempo(o, 90));
    await onC.request("play_sound");
    o.close();
    await onC.request("stop_sound", 3000);
    const again = await phone(a);
    expect(await again.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
    expect(await onC.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
  }, 20_000);

  test("Redis restarted mid-play: the group goes on, late joiners find it, ids stay unique", async () => {
    const o = await owner(a);
    const onB = await member(b, o.id);
    await o.result("start_metronome", tempo(o, 120));
    await onB.request("play_sound");
    const before = await Promise.all([phone(a), phone(b)]);
    await redis.restart(300);
    for (const n of [a, b, c]) await waitFor(async () => (await health(n)).cluster.redis === "up", { timeoutMs: 10_000, what: `${n.id} back on Redis` });
    // The owner's node has put its group back, and the member's node hears it again.
    await waitFor(async () => Number(await redis.client.send("EXISTS", [`sb:m:g:${o.id}`])) === 1, { timeoutMs: 5000, what: "the group's record back" });
    expect(await o.result("update_temp", tempo(o, 140))).toEqual({ status: "success" });
    expect((await onB.request("play_sound", 3000)).json.params.bpm).toBe(140);
    const late = await member(c, o.id);
    expect((await late.request("play_sound", 1000)).json.params.bpm).toBe(140);
    const after = await Promise.all([phone(a), phone(b), phone(c)]);
    const ids = [o, onB, ...before, late, ...after].map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 40_000);

  test("the owner's node killed (SIGKILL): its members elsewhere hear stop_sound within the node timeout, the group is gone", async () => {
    const o = await owner(c);
    const onA = await member(a, o.id);
    const onB = await member(b, o.id);
    await o.result("start_metronome", tempo(o, 120));
    await onA.request("play_sound");
    await onB.request("play_sound");
    const killed = Date.now();
    await c.kill();
    // --cluster-node-timeout-ms 1500 and a 200 ms heartbeat (test/helpers/cluster.ts).
    await onA.request("stop_sound", 4000);
    await onB.request("stop_sound", 4000);
    expect(Date.now() - killed).toBeLessThan(1500 + 2 * 200 + 1000);
    expect(await onA.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
    const fresh = await phone(b);
    expect(await fresh.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
    // One of the nodes cleared what the dead node left in Redis.
    await waitFor(async () => Number(await redis.client.send("EXISTS", [`sb:m:g:${o.id}`, "sb:m:groups:node-c", "sb:m:held:node-c"])) === 0, { timeoutMs: 5000, what: "node-c's records cleared" });
  }, 30_000);
});
