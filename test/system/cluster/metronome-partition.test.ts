// The metronome when one node is cut off from Redis (docs/cluster.md#metronome): the other nodes
// take it for gone (its groups end for their members there), it reports not ready at /healthz,
// its own phones keep clicking; once it is back, its groups are found again from every node.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { redisProxy, startNode, startRedis, type RedisProxy, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { MetronomeClient } from "../../helpers/clients/metronome.ts";
import { waitFor } from "../../helpers/wait.ts";

let redis: TestRedis;
let proxy: RedisProxy;
let a: TestNode;
let c: TestNode;
const open: MetronomeClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  proxy = redisProxy(redis);
  a = await startNode(redis, "node-a");
  c = await startNode({ ...redis, url: proxy.url }, "node-c"); // reaches Redis through the proxy
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), c?.stop()]);
  proxy?.stop();
  await redis?.stop();
});
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

const health = async (n: TestNode) => {
  const r = await fetch(n.http + "/healthz");
  return { status: r.status, body: (await r.json()) as any };
};

async function phone(n: TestNode): Promise<MetronomeClient & { id: number }> {
  const p = await MetronomeClient.open(n.ws("/connect"));
  open.push(p);
  const { client_id } = await p.result("get_id", { time_utc: p.now() });
  return Object.assign(p, { id: client_id as number });
}

test("a node cut off from Redis: its groups end elsewhere, it reports not ready, its own phones go on; back, its groups are found again", async () => {
  const o = await phone(c);
  await o.result("create_group", { time_utc: o.now() });
  const onC = await phone(c);
  const onA = await phone(a);
  for (const m of [onC, onA]) expect(await m.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
  await o.result("start_metronome", { group_id: o.id, current_client_ts: o.now(), bpm: 120 });
  await onC.request("play_sound");
  await onA.request("play_sound");
  const elsewhere = await phone(a);
  await elsewhere.result("create_group", { time_utc: elsewhere.now() });

  const cut = Date.now();
  proxy.cut();
  // Node A takes node C for gone after its timeout (1500 ms): its member hears the stop.
  await onA.request("stop_sound", 5000);
  expect(Date.now() - cut).toBeLessThan(5000);
  expect(await onA.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "error", message: "group is not exist" });
  // Node C says it is not ready, so a load balancer takes it out.
  await waitFor(async () => (await health(c)).status === 503, { timeoutMs: 5000, what: "node C not ready" });
  expect((await health(c)).body).toMatchObject({ status: "not_ready", cluster: { node: "node-c", redis: "down", ready: false } });
  expect((await health(a)).body.cluster.nodes).toEqual(["node-a"]);
  // What needs Redis answers "try again" there, once the node timeout has passed.
  const newcomer = await MetronomeClient.open(c.ws("/connect"));
  open.push(newcomer);
  expect((await newcomer.call("get_id", { time_utc: Date.now() }, 5000)).json.result).toEqual({ status: "error", message: "server busy, try again" });
  expect(await onC.result("subscribe_to_group", { group_id: elsewhere.id })).toEqual({ status: "error", message: "server busy, try again" });
  // Its own group goes on for its own phones.
  expect(await o.result("update_temp", { group_id: o.id, current_client_ts: o.now(), bpm: 150 })).toEqual({ status: "success" });
  expect((await onC.request("play_sound")).json.params.bpm).toBe(150);

  proxy.heal();
  await waitFor(async () => (await health(c)).status === 200, { timeoutMs: 10_000, what: "node C ready again" });
  await waitFor(async () => Number(await redis.client.send("EXISTS", [`sb:m:g:${o.id}`])) === 1, { timeoutMs: 5000, what: "node C's group back in Redis" });
  await waitFor(async () => ((await health(a)).body.cluster.nodes as string[]).includes("node-c"), { timeoutMs: 5000, what: "node C alive for node A" });
  // Found from node A again, playing at the tempo it has now.
  expect(await onA.result("subscribe_to_group", { group_id: o.id })).toEqual({ status: "success" });
  expect((await onA.request("play_sound", 2000)).json.params.bpm).toBe(150);
  const fresh = await phone(c);
  expect(fresh.id).toBeGreaterThan(onA.id);
}, 40_000);
