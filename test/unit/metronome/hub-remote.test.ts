// The hub with registries that answer later, as the Redis ones of several nodes do
// (docs/cluster.md#metronome): get_id and a lookup of a group owned elsewhere wait; Redis out of
// reach is "server busy, try again"; a mirrored group's changes reach its members here, each in its
// own clock, phase continuous across update_temp; its end is heard as stop_sound. Fake clock, fake
// peers, fake registries.
import { beforeEach, describe, expect, test } from "bun:test";
import { dispatch } from "../../../src/protocols/metronome/codec.ts";
import { Msg } from "../../../src/protocols/metronome/errors.ts";
import type { Grid } from "../../../src/protocols/metronome/grid.ts";
import { metronomeDispatch, metronomeMethods } from "../../../src/protocols/metronome/methods.ts";
import { groupTopic, MemoryGroups, SequentialIds, Unavailable, type Group } from "../../../src/protocols/metronome/registry.ts";
import { MetronomeHub, type MetronomeClient } from "../../../src/protocols/metronome/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

/** Ids that answer on the next turn (or fail, as Redis out of reach does). */
class LaterIds extends SequentialIds {
  down = false;
  override next(): number {
    throw new Error("use nextLater");
  }
  nextLater(): Promise<number> {
    return this.down ? Promise.reject(new Unavailable("down")) : Promise.resolve().then(() => super.next());
  }
}

/** Groups owned here as in memory; others (mirrors) found on the next turn. */
class LaterGroups extends MemoryGroups<MetronomeClient> {
  readonly elsewhere = new Map<number, Group<MetronomeClient>>();
  readonly forgotten: number[] = [];
  private readonly mirrors = new Map<number, Group<MetronomeClient>>();
  override get(id: number) {
    return super.get(id) ?? this.mirrors.get(id);
  }
  override find(id: number): any {
    const known = this.get(id);
    if (known) return known;
    return Promise.resolve().then(() => {
      const g = this.elsewhere.get(id);
      if (g) this.mirrors.set(id, g);
      return g;
    });
  }
  override remove(g: Group<MetronomeClient>) {
    if (this.mirrors.get(g.id) === g) return void this.mirrors.delete(g.id);
    super.remove(g);
  }
  override left(g: Group<MetronomeClient>) {
    if (this.mirrors.get(g.id) === g && g.members.size === 0) this.mirrors.delete(g.id), this.forgotten.push(g.id);
  }
}

let clock: FakeClock;
let hub: MetronomeHub;
let ids: LaterIds;
let groups: LaterGroups;
let methods: ReturnType<typeof metronomeMethods>;
let next = 1;

beforeEach(() => {
  clock = new FakeClock();
  ids = new LaterIds();
  groups = new LaterGroups();
  const asyncIds = { next: () => ids.nextLater(), reclaim: (id: number) => ids.reclaim(id), release: (id: number) => ids.release(id) };
  hub = new MetronomeHub({ clock, leadMs: 1000, topics: new FakeHub(), ids: asyncIds, groups });
  methods = metronomeMethods(hub);
});

const topics = () => (hub as unknown as { topics: FakeHub }).topics;
const phone = () => {
  const peer = new FakeConn<MetronomeClient>(topics());
  const s = hub.connect(peer);
  peer.state = s;
  return { peer, s };
};
type Phone = ReturnType<typeof phone>;

async function call(p: Phone, method: string, params: unknown): Promise<any> {
  const id = next++;
  const r = await dispatch(JSON.stringify({ jsonrpc: "2.0", method, params, id }), methods, p.s, metronomeDispatch(hub));
  const reply = JSON.parse(r.reply!);
  for (const fn of r.after) fn();
  expect(reply.id).toBe(id);
  return reply.result;
}

/** A phone with an id whose clock is `skew` ms off the server's (taught with sync_time, exactly). */
async function member(skew: number): Promise<Phone> {
  const p = phone();
  await call(p, "get_id", { time_utc: clock.now() + skew });
  const t = clock.now();
  await call(p, "sync_time", { client_ts: t + skew, previous: { client_ts: t + skew, server_recv_ts: t, server_send_ts: t, client_recv_ts: t + skew } });
  return p;
}

const mirror = (id: number, grid: Grid | null = null): Group<MetronomeClient> => ({ id, topic: groupTopic(id), owner: null, members: new Set(), grid, bpm: grid?.bpm ?? null });
const plays = (p: Phone) => p.peer.takeJson().filter((f) => f.method === "play_sound");

describe("registries that answer later", () => {
  test("get_id waits for its id; a connection closed meanwhile holds none", async () => {
    const a = phone();
    const r = dispatch('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1},"id":1}', methods, a.s);
    expect(r instanceof Promise).toBe(true);
    expect(JSON.parse((await r).reply!).result).toEqual({ status: "success", client_id: 1 });
    const b = phone();
    const pending = dispatch('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1},"id":2}', methods, b.s);
    hub.disconnect(b.s);
    await pending;
    expect(b.s.clientId).toBeNull();
    expect(ids.reclaim(2)).toBe(true); // released, not held by the closed connection
  });

  test("Redis out of reach: server busy, try again", async () => {
    ids.down = true;
    expect(await call(phone(), "get_id", { time_utc: 1 })).toEqual({ status: "error", message: Msg.unavailable });
  });

  test("subscribe_to_group to a group owned elsewhere: found later, joined; not found anywhere: group is not exist", async () => {
    const m = await member(0);
    groups.elsewhere.set(40, mirror(40, { anchor: clock.now() + 500, bpm: 120 }));
    expect(await call(m, "subscribe_to_group", { group_id: 40 })).toEqual({ status: "success" });
    expect(groups.get(40)!.members.has(m.s)).toBe(true);
    expect(plays(m)).toHaveLength(1); // playing: the running grid at once
    expect(await call(m, "subscribe_to_group", { group_id: 41 })).toEqual({ status: "error", message: Msg.noGroup });
    // It left the mirror for nothing: still a member (an unknown group leaves the joined one alone).
    expect(groups.get(40)!.members.has(m.s)).toBe(true);
  });
});

describe("a mirrored group's changes", () => {
  test("start, update_temp and stop reach each member in its own clock, phase continuous", async () => {
    const [m1, m2] = [await member(0), await member(7000)];
    const g = mirror(50);
    groups.elsewhere.set(50, g);
    for (const m of [m1, m2]) await call(m, "subscribe_to_group", { group_id: 50 });
    const anchor = clock.now() + 1000;
    g.grid = { anchor, bpm: 120 };
    hub.remote(g, "start");
    const [p1, p2] = [plays(m1)[0], plays(m2)[0]];
    expect(p1.params).toEqual({ start_ts: anchor, bpm: 120 });
    expect(p2.params).toEqual({ start_ts: anchor + 7000, bpm: 120 });

    // m3's estimate moves after its start: the tempo change keeps the offset its grid was sent with.
    const m3 = phone();
    await call(m3, "get_id", { time_utc: clock.now() + 4000 });
    await call(m3, "subscribe_to_group", { group_id: 50 });
    expect(plays(m3)[0].params.start_ts).toBe(anchor + 4000);
    await call(m3, "sync_time", { client_ts: clock.now() + 4040 }); // a one-way sample: the estimate is 4040 now
    const from = g.grid;
    g.grid = { anchor: anchor + 1500, bpm: 150 };
    hub.remote(g, "tempo", from);
    expect(plays(m2)[0].params).toEqual({ start_ts: anchor + 1500 + 7000, bpm: 150 });
    expect(plays(m1)[0].params.start_ts).toBe(anchor + 1500);
    expect(plays(m3)[0].params.start_ts).toBe(anchor + 1500 + 4000);
    // Without the grid it continues (the mirror missed the start): the estimate of now.
    g.grid = { anchor: anchor + 3000, bpm: 120 };
    hub.remote(g, "tempo");
    expect(plays(m3)[0].params.start_ts).toBe(anchor + 3000 + 4040);
    plays(m1), plays(m2);

    g.grid = null;
    hub.remote(g, "stop");
    for (const m of [m1, m2, m3]) expect(m.peer.takeJson().map((f) => f.method)).toEqual(["stop_sound"]);
  });

  test("resync: the grid running now, as a late joiner gets it; its end: stop_sound, and the members are out", async () => {
    const m = await member(-3000);
    const g = mirror(60, { anchor: clock.now() - 10_000, bpm: 60 });
    groups.elsewhere.set(60, g);
    await call(m, "subscribe_to_group", { group_id: 60 });
    plays(m);
    hub.remote(g, "resync");
    const p = plays(m)[0];
    expect((p.params.start_ts + 3000 - g.grid!.anchor) % 1000).toBe(0);
    expect(p.params.start_ts + 3000).toBeGreaterThan(clock.now());
    hub.remote(g, "end");
    expect(m.peer.takeJson().map((f) => f.method)).toEqual(["stop_sound"]);
    expect(m.s.joined).toBeNull();
    expect(groups.get(60)).toBeUndefined();
  });

  test("the last member here leaving forgets the mirror; members elsewhere cannot control it", async () => {
    const m = await member(0);
    groups.elsewhere.set(70, mirror(70));
    await call(m, "subscribe_to_group", { group_id: 70 });
    expect(await call(m, "start_metronome", { group_id: 70, current_client_ts: clock.now(), bpm: 90 })).toEqual({ status: "error", message: Msg.notOwner });
    hub.disconnect(m.s);
    expect(groups.forgotten).toEqual([70]);
  });

  test("a client whose own id names a stale mirror creates its group anew", async () => {
    const m = await member(0);
    const id = m.s.clientId!;
    const stale = mirror(id);
    groups.elsewhere.set(id, stale);
    const other = await member(0);
    await call(other, "subscribe_to_group", { group_id: id });
    expect(await call(m, "create_group", { time_utc: clock.now() })).toEqual({ status: "success", group_id: id });
    expect(groups.get(id)!.owner).toBe(m.s);
    expect(other.s.joined).toBeNull(); // the stale group ended for its members
  });
});
