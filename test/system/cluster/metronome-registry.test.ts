// The metronome's registries (docs/cluster.md#metronome): one set of rules run against the
// in-memory versions (one node on its own) and the Redis versions (several nodes, a real
// redis-server), then what only several nodes have: two nodes sharing the ids, a group mirrored on
// a node it is not owned on, a node that is gone, Redis restarting.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Cluster } from "../../../src/cluster/cluster.ts";
import { silentLogger } from "../../../src/log.ts";
import type { Grid } from "../../../src/protocols/metronome/grid.ts";
import { groupTopic, MemoryGroups, SequentialIds, type Group, type GroupRegistry, type IdAllocator, type RemoteChange } from "../../../src/protocols/metronome/registry.ts";
import { SharedGroups } from "../../../src/protocols/metronome/shared-groups.ts";
import { SharedIds } from "../../../src/protocols/metronome/shared-ids.ts";
import { startRedis, type TestRedis } from "../../helpers/cluster.ts";
import { waitFor } from "../../helpers/wait.ts";

let redis: TestRedis;
const clusters: Cluster[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of clusters.splice(0)) await c.stop().catch(() => {});
  await redis?.stop();
});

const TIMEOUT_MS = 600;
let nodes = 0;
/**
 * A node in this process: its cluster link and both shared registries, as every real node has
 * (whichever node clears up after one that is gone runs both registries' part).
 */
async function node(name = `n${++nodes}`) {
  const cluster = await Cluster.start({ redisUrl: redis.url, nodeId: name, heartbeatMs: 100, nodeTimeoutMs: TIMEOUT_MS }, silentLogger, () => {});
  clusters.push(cluster);
  return { cluster, ids: new SharedIds(cluster, silentLogger), groups: new SharedGroups<M>(cluster, silentLogger) };
}

type M = string;
interface Impl {
  ids(): Promise<IdAllocator>;
  groups(): Promise<GroupRegistry<M>>;
}
const impls: Array<[string, Impl]> = [
  ["in memory", { ids: async () => new SequentialIds(), groups: async () => new MemoryGroups<M>() }],
  ["Redis", { ids: async () => (await node()).ids, groups: async () => (await node()).groups }],
];

const group = (id: number, owner: M = "owner"): Group<M> => ({ id, topic: groupTopic(id), owner, members: new Set([owner]), grid: null, bpm: null });

for (const [name, impl] of impls) {
  describe(`IdAllocator, ${name}`, () => {
    test("fresh ids are positive and never repeat", async () => {
      const ids = await impl.ids();
      const got: number[] = [];
      for (let i = 0; i < 20; i++) got.push(await ids.next());
      expect(new Set(got).size).toBe(20);
      for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!);
      expect(got[0]!).toBeGreaterThan(0);
    });

    test("an old id comes back only when it was issued and nobody holds it", async () => {
      const ids = await impl.ids();
      const a = await ids.next();
      const b = await ids.next();
      expect(await ids.reclaim(a)).toBe(false); // held
      await ids.release(a);
      expect(await ids.reclaim(a)).toBe(true);
      expect(await ids.reclaim(a)).toBe(false); // held again
      expect(await ids.reclaim(b + 1000)).toBe(false); // never issued
      for (const bad of [0, -1, 1.5]) expect(await ids.reclaim(bad)).toBe(false);
      // A fresh id after a reclaim still goes on in sequence.
      expect(await ids.next()).toBeGreaterThan(b);
    });
  });

  describe(`GroupRegistry, ${name}`, () => {
    test("add, get, find, size and playing; remove", async () => {
      const groups = await impl.groups();
      const id = 900_000 + nodes * 10;
      expect(await groups.find(id)).toBeUndefined();
      const g = group(id);
      await groups.add(g);
      expect(groups.get(id)).toBe(g);
      expect(await groups.find(id)).toBe(g);
      expect(groups.size).toBe(1);
      expect(groups.playing()).toBe(0);
      g.grid = { anchor: Date.now() + 1000, bpm: 120 };
      g.bpm = 120;
      groups.changed(g, "start", null);
      expect(groups.playing()).toBe(1);
      groups.remove(g);
      expect(groups.get(id)).toBeUndefined();
      expect(await groups.find(id)).toBeUndefined();
      expect(groups.size).toBe(0);
      expect(groups.playing()).toBe(0);
    });

    test("removing a group that is not the registered one changes nothing", async () => {
      const groups = await impl.groups();
      const id = 910_000 + nodes * 10;
      const g = group(id);
      await groups.add(g);
      groups.remove(group(id, "someone else"));
      expect(groups.get(id)).toBe(g);
      groups.remove(g);
    });
  });
}

describe("several nodes: ids", () => {
  let a: SharedIds;
  let b: SharedIds;
  let nodeA: Cluster;
  beforeAll(async () => {
    const na = await node("ids-a");
    nodeA = na.cluster;
    a = na.ids;
    b = (await node("ids-b")).ids;
  });

  test("ids from two nodes never collide", async () => {
    const got = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).next()));
    expect(new Set(got).size).toBe(60);
  });

  test("an id held on one node is not free on the other until it is released", async () => {
    const id = await a.next();
    expect(await b.reclaim(id)).toBe(false);
    await a.release(id);
    expect(await b.reclaim(id)).toBe(true);
    expect(await a.reclaim(id)).toBe(false);
    await b.release(id);
  });

  test("Redis restarting with its data lost: the counter starts above what the nodes have seen, held ids stay held", async () => {
    const held = await a.next();
    const top = await b.next();
    await redis.restart(200);
    // Each node puts its part back when its link is up again.
    await waitFor(async () => Number(await redis.client.send("HEXISTS", ["sb:m:holder", String(held)]).catch(() => 0)) === 1, { timeoutMs: 8000, what: "held ids back" });
    expect(await b.reclaim(held)).toBe(false);
    expect(await a.next()).toBeGreaterThan(top);
    expect(await b.next()).toBeGreaterThan(top);
  }, 20_000);

  test("a node that is gone: the ids it held are free", async () => {
    const id = await a.next();
    await nodeA.stop(); // a node stopped in order leaves at once; one of the others clears up after it
    await waitFor(async () => Number(await redis.client.send("HEXISTS", ["sb:m:holder", String(id)])) === 0, { timeoutMs: 5000, what: "the id released" });
    expect(await b.reclaim(id)).toBe(true);
  }, 10_000);
});

describe("several nodes: groups", () => {
  let na: Cluster;
  let a: SharedGroups<M>;
  let b: SharedGroups<M>;
  const heard: Array<{ id: number; change: RemoteChange; from?: Grid; grid: Grid | null }> = [];
  beforeAll(async () => {
    const nodeA = await node("groups-a");
    na = nodeA.cluster;
    a = nodeA.groups;
    b = (await node("groups-b")).groups;
    b.listen((g, change, from) => heard.push({ id: g.id, change, from, grid: g.grid && { ...g.grid } }));
  });
  afterEach(() => void heard.splice(0));

  const next = async (change: RemoteChange) => {
    await waitFor(() => heard.some((h) => h.change === change), { timeoutMs: 3000, what: `"${change}" on node B` });
    return heard.splice(0).find((h) => h.change === change)!;
  };

  test("a group owned on A is found on B as a mirror, and B hears start, update_temp and stop", async () => {
    const g = group(500);
    g.bpm = 90;
    await a.add(g);
    const m = (await b.find(500))!;
    expect(m).toBeDefined();
    expect(m.owner).toBeNull();
    expect(m.bpm).toBe(90);
    expect(m.grid).toBeNull();
    m.members.add("b-member");

    g.grid = { anchor: Date.now() + 1000, bpm: 120 };
    g.bpm = 120;
    a.changed(g, "start", null);
    expect((await next("start")).grid).toEqual(g.grid);
    const running = m.grid!;

    const old = g.grid;
    g.grid = { anchor: old.anchor + 500, bpm: 150 };
    g.bpm = 150;
    a.changed(g, "tempo", old);
    const t = await next("tempo");
    expect(t.grid).toEqual(g.grid);
    expect(t.from).toBe(running); // the mirror's own grid object: each member keeps its offset

    // update_temp on the beat it starts from again (same grid): still heard, as on one node.
    const same = m.grid!;
    a.changed(g, "tempo", { ...g.grid });
    const again = await next("tempo");
    expect(again.from).toBe(same);
    expect(m.grid).toBe(same);

    g.grid = null;
    a.changed(g, "stop", null);
    await next("stop");
    expect(m.grid).toBeNull();

    // A late lookup on B finds the same mirror while it has members there.
    expect(await b.find(500)).toBe(m);
    a.remove(g);
    await next("end");
    expect(await b.find(500)).toBeUndefined();
  });

  test("a mirror nobody on B is in any more is forgotten", async () => {
    const g = group(501);
    await a.add(g);
    const m = (await b.find(501))!;
    expect(b.get(501)).toBe(m);
    b.left(m);
    expect(b.get(501)).toBeUndefined();
    a.remove(g);
  });

  test("the owner's node gone: B's mirror ends, and the group is not found", async () => {
    const g = group(502);
    g.grid = { anchor: Date.now() + 1000, bpm: 100 };
    await a.add(g);
    const m = (await b.find(502))!;
    m.members.add("b-member");
    await na.stop();
    await next("end");
    expect(b.get(502)).toBeUndefined();
    expect(await b.find(502)).toBeUndefined();
    await waitFor(async () => Number(await redis.client.send("EXISTS", ["sb:m:g:502", "sb:m:groups:groups-a"])) === 0, { timeoutMs: 5000, what: "node A's records cleared" });
  }, 10_000);
});
