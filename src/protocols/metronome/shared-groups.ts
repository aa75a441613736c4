// Metronome groups across nodes (docs/cluster.md#metronome): the GroupRegistry of registry.ts,
// shared through Redis. A group lives with its owner's socket, on the owner's node, which keeps its
// record in Redis (owner node, tempo, the grid in server wall-clock ms) and emits each change on the
// group's topic as a small event. Another node with members of it keeps a mirror (its own members,
// the grid as last heard) and has the hub play each change to them in their own clocks.
import { RedisScript } from "../../cluster/script.ts";
import type { Logger } from "../../log.ts";
import type { Grid } from "./grid.ts";
import { GROUP_TOPIC_PREFIX as TOPIC_PREFIX, groupTopic, type Group, type GridChange, type GroupRegistry, type RemoteChange } from "./registry.ts";
import { within, type SharedCluster } from "./shared-ids.ts";
import { NODES_KEY } from "../../cluster/presence.ts";

export const groupKey = (id: number) => `sb:m:g:${id}`;
/** The ids of the groups a node owns, so the groups of a node that is gone can be cleared. */
export const ownedKey = (node: string) => `sb:m:groups:${node}`;

/** A group's state as recorded and as sent. g: the incarnation (an id may be a group again later); v: its version. */
interface State {
  g: string;
  v: number;
  bpm: number | null;
  /** [anchor, bpm] of the running grid, null while stopped. */
  grid: [number, number] | null;
}
/** An event: what changed, and the state after it; `from`: the grid an update_temp continues. */
interface Event extends State {
  k: GridChange | "end" | "sync";
  from?: [number, number] | null;
}

// KEYS: record, nodes. ARGV: now. The record, unless its owner's node is gone (its time ran out, or
// it left): [node, state]. A node without an entry has not beaten since Redis restarted (the node
// that clears up after a dead one deletes its records before its entry).
const FIND = new RedisScript(`local n = redis.call('HGET', KEYS[1], 'node')
if not n then return false end
local e = redis.call('ZSCORE', KEYS[2], n)
if e and tonumber(e) <= tonumber(ARGV[1]) then return false end
return {n, redis.call('HGET', KEYS[1], 's')}`);
// KEYS: record, owned:<node>, the group's channel. ARGV: node, state, id, the event (or ""). The
// record and the event in one step: a node that reads the record after subscribing misses nothing.
const WRITE = new RedisScript(`redis.call('HSET', KEYS[1], 'node', ARGV[1], 's', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('PUBLISH', KEYS[3], ARGV[4]) end
return 1`);
// KEYS: record, owned:<node>, the group's channel. ARGV: id, the event.
const END = new RedisScript(`redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 1`);
// KEYS: owned:<node>. ARGV: node, record key prefix. The records of every group the node owned.
const REAP = new RedisScript(`local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do
  local k = ARGV[2] .. id
  if redis.call('HGET', k, 'node') == ARGV[1] then redis.call('DEL', k) end
end
redis.call('DEL', KEYS[1])
return #ids`);

const gridOf = (g: Grid | null): [number, number] | null => (g ? [g.anchor, g.bpm] : null);
const sameGrid = (a: Grid | null, b: [number, number] | null | undefined): boolean => (a === null ? !b : !!b && a.anchor === b[0] && a.bpm === b[1]);

interface Owned<M> {
  group: Group<M>;
  tag: string;
  v: number;
}
interface Mirror<M> {
  group: Group<M>;
  node: string;
  tag: string;
  v: number;
  /** Read the record again later (after Redis came back without it). */
  recheck: ReturnType<typeof setTimeout> | null;
}

let boots = 0;

export class SharedGroups<M> implements GroupRegistry<M> {
  private readonly own = new Map<number, Owned<M>>();
  private readonly mirrors = new Map<number, Mirror<M>>();
  /** Lookups under way; the newest event heard for the group meanwhile. */
  private readonly loading = new Map<number, { done: Promise<Group<M> | undefined>; latest: Event | null }>();
  private listener: (g: Group<M>, change: RemoteChange, from?: Grid) => void = () => {};
  private readonly node: string;
  /** Incarnations: this process's own prefix, then a counter. */
  private readonly boot = `${Date.now().toString(36)}.${boots++}`;
  private seq = 0;

  constructor(private readonly cluster: SharedCluster, private readonly log: Logger) {
    this.node = cluster.nodeId;
    // What a node of the same name left before it restarted is nobody's now (sent before anything else).
    void this.reap(this.node).catch((e: Error) => log.warn("metronome: clearing this node's old groups failed", { err: e.message }));
    cluster.bus.handle(TOPIC_PREFIX, (topic, data) => this.heard(topic, data));
    cluster.presence.onGone((node) => {
      for (const m of [...this.mirrors.values()]) if (m.node === node) this.end(m);
    });
    cluster.presence.onReap((node) => this.reap(node).then(() => {}));
    cluster.onResync(() => this.resync());
  }

  /** Who plays a mirror's changes to its members (the hub). */
  listen(fn: (g: Group<M>, change: RemoteChange, from?: Grid) => void): void {
    this.listener = fn;
  }

  get(id: number): Group<M> | undefined {
    return this.own.get(id)?.group ?? this.mirrors.get(id)?.group;
  }

  find(id: number): Group<M> | undefined | Promise<Group<M> | undefined> {
    const known = this.get(id);
    if (known) return known;
    let l = this.loading.get(id);
    if (!l) {
      l = { done: this.load(id).finally(() => this.loading.delete(id)), latest: null };
      this.loading.set(id, l);
    }
    // Too slow (Redis out of reach): "try again"; a mirror made after that, with nobody in it, is dropped.
    return within(l.done, this.cluster.opts.nodeTimeoutMs, (g) => g && this.left(g));
  }

  private async load(id: number): Promise<Group<M> | undefined> {
    if (!(await this.read(id))) return undefined;
    const topic = groupTopic(id);
    // Subscribed first, then read again: every change after that read arrives as an event.
    await this.cluster.bus.retain(topic, true);
    let rec: Awaited<ReturnType<typeof this.read>>;
    try {
      rec = await this.read(id);
    } catch (e) {
      this.cluster.bus.release(topic, true);
      throw e;
    }
    let state = rec?.state ?? null;
    const ev = this.loading.get(id)?.latest;
    if (state && ev && ev.g === state.g && ev.v > state.v) state = ev.k === "end" ? null : ev;
    const known = this.get(id); // owned here meanwhile (a stale id), or found by a lookup that overtook
    if (!rec || !state || known) {
      this.cluster.bus.release(topic, true);
      return known;
    }
    const group: Group<M> = { id, topic, owner: null, members: new Set(), grid: state.grid && { anchor: state.grid[0], bpm: state.grid[1] }, bpm: state.bpm };
    this.mirrors.set(id, { group, node: rec.node, tag: state.g, v: state.v, recheck: null });
    return group;
  }

  /** A group's record, unless there is none or its owner's node is gone. */
  private async read(id: number): Promise<{ node: string; state: State } | null> {
    const r = (await FIND.run(this.cluster.redis, [groupKey(id), NODES_KEY], [String(Date.now())])) as [string, string] | null;
    if (!r) return null;
    try {
      return { node: String(r[0]), state: JSON.parse(String(r[1])) as State };
    } catch {
      return null;
    }
  }

  add(group: Group<M>): Promise<void> {
    const o: Owned<M> = { group, tag: `${this.node}.${this.boot}.${++this.seq}`, v: 1 };
    this.own.set(group.id, o);
    // "sync" ends a stale mirror of an earlier group with this id, where one is left. Answered once
    // the record is there (or Redis is out of reach: it is written when it is back).
    return within(this.write(o, "sync"), this.cluster.opts.nodeTimeoutMs).catch(() => {});
  }

  private state(o: Owned<M>): State {
    return { g: o.tag, v: o.v, bpm: o.group.bpm, grid: gridOf(o.group.grid) };
  }

  /** Write o's record and, with `k`, publish the event (`from`: the grid an update_temp continues). */
  private write(o: Owned<M>, k: Event["k"] | null, from?: Grid | null): Promise<void> {
    const id = o.group.id;
    const state = this.state(o);
    let event = "";
    let channel = "";
    if (k) {
      const ev: Event = { k, ...state };
      if (from !== undefined) ev.from = gridOf(from);
      ({ channel, message: event } = this.cluster.bus.envelope(o.group.topic, JSON.stringify(ev)));
    }
    return WRITE.run(this.cluster.redis, [groupKey(id), ownedKey(this.node), channel || groupKey(id)], [this.node, JSON.stringify(state), String(id), event]).then(
      () => {},
      (e: Error) => this.log.debug("metronome: writing a group failed", { group: id, err: e.message }),
    );
  }

  changed(group: Group<M>, change: GridChange, from: Grid | null): void {
    const o = this.own.get(group.id);
    if (!o || o.group !== group) return;
    o.v++;
    void this.write(o, change, change === "tempo" ? from : undefined);
  }

  remove(group: Group<M>): void {
    const o = this.own.get(group.id);
    if (o && o.group === group) {
      this.own.delete(group.id);
      o.v++;
      const id = String(group.id);
      const end = this.cluster.bus.envelope(group.topic, JSON.stringify({ k: "end", ...this.state(o) } satisfies Event));
      END.run(this.cluster.redis, [groupKey(group.id), ownedKey(this.node), end.channel], [id, end.message]).catch(() => {});
      return;
    }
    const m = this.mirrors.get(group.id);
    if (m && m.group === group) this.drop(m);
  }

  left(group: Group<M>): void {
    const m = this.mirrors.get(group.id);
    if (m && m.group === group && group.members.size === 0) this.drop(m);
  }

  private drop(m: Mirror<M>): void {
    if (m.recheck) clearTimeout(m.recheck);
    this.mirrors.delete(m.group.id);
    this.cluster.bus.release(m.group.topic, true);
  }

  /** The mirrored group is gone: its members hear the end (the hub dissolves it: remove()). */
  private end(m: Mirror<M>): void {
    this.listener(m.group, "end");
    if (this.mirrors.get(m.group.id) === m) this.drop(m);
  }

  /** An event from the owner's node. */
  private heard(topic: string, data: string): void {
    const id = Number(topic.slice(TOPIC_PREFIX.length));
    let ev: Event;
    try {
      ev = JSON.parse(data) as Event;
    } catch {
      return;
    }
    const m = this.mirrors.get(id);
    if (!m) {
      const l = this.loading.get(id);
      if (l && (!l.latest || l.latest.g !== ev.g || ev.v > l.latest.v)) l.latest = ev;
      return;
    }
    // Another incarnation of the id: the group mirrored here has ended.
    if (ev.g !== m.tag) return this.end(m);
    if (ev.v <= m.v) return;
    this.apply(m, ev);
  }

  /** A newer state of a mirrored group: its members hear what changed, as the owner's node's members do. */
  private apply(m: Mirror<M>, ev: Event | (State & { k: "sync" })): void {
    m.v = ev.v;
    if (ev.k === "end") return this.end(m);
    const g = m.group;
    const prev = g.grid;
    g.bpm = ev.bpm;
    // An unchanged grid keeps its object: the members' offsets are tied to it (a later update_temp).
    const same = sameGrid(prev, ev.grid);
    if (!same) g.grid = ev.grid && { anchor: ev.grid[0], bpm: ev.grid[1] };
    if (ev.k === "sync") return void (same || this.listener(g, "resync"));
    // stop_sound is sent even when stopped (docs/metronome.md#owner-controls); update_temp while
    // stopped only sets the tempo.
    if (ev.k === "stop") return this.listener(g, "stop");
    if (!g.grid) return;
    const from = ev.k === "tempo" && prev && "from" in ev && sameGrid(prev, ev.from) ? prev : undefined;
    this.listener(g, ev.k, from);
  }

  /** The records of the groups `node` owned (it is gone; or it is this node, started again). */
  private reap(node: string): Promise<number> {
    return REAP.run<number>(this.cluster.redis, [ownedKey(node)], [node, "sb:m:g:"]);
  }

  /** After Redis came back (it may have lost everything): this node's groups, and its mirrors' news. */
  async resync(): Promise<void> {
    for (const o of this.own.values()) await this.write(o, "sync");
    for (const m of [...this.mirrors.values()]) await this.refresh(m, true);
  }

  /** Read a mirrored group's record again; without one, wait a node timeout for its node to put it back. */
  private async refresh(m: Mirror<M>, mayWait: boolean): Promise<void> {
    m.recheck = null;
    const rec = await this.read(m.group.id).catch(() => null);
    if (this.mirrors.get(m.group.id) !== m) return;
    if (rec && rec.state.g !== m.tag) return this.end(m);
    if (rec) return void (rec.state.v > m.v && this.apply(m, { ...rec.state, k: "sync" }));
    if (!mayWait) return this.end(m);
    m.recheck = setTimeout(() => void this.refresh(m, false).catch(() => {}), this.cluster.opts.nodeTimeoutMs);
    (m.recheck as { unref?: () => void }).unref?.();
  }

  get size(): number {
    return this.own.size;
  }

  playing(): number {
    let n = 0;
    for (const o of this.own.values()) if (o.group.grid) n++;
    return n;
  }

  /** Groups owned here (the status feed shows a node's own state: docs/pages.md#the-status-feed). */
  *values(): Iterable<Group<M>> {
    for (const o of this.own.values()) yield o.group;
  }

  /** Groups mirrored here (tests, health). */
  get mirrored(): number {
    return this.mirrors.size;
  }
}
