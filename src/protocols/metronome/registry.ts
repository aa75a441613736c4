// Client ids and the group registry, behind small interfaces with two implementations each: the
// in-memory ones here (one node on its own), and the Redis ones of several nodes
// (shared-ids.ts, shared-groups.ts; docs/cluster.md#metronome). A method a Redis version must
// wait for returns a value or a promise (Awaitable): the in-memory versions answer at once, so
// one node on its own stays synchronous.
import type { Grid } from "./grid.ts";

export type Awaitable<T> = T | Promise<T>;

/** f(v) at once for a value; once it settles for a promise. */
export const then = <T, U>(v: Awaitable<T>, f: (t: T) => Awaitable<U>): Awaitable<U> => (v instanceof Promise ? v.then(f) : f(v));

/** The shared state did not answer in time (Redis out of reach): the caller answers "try again". */
export class Unavailable extends Error {}

/**
 * Issues client ids: positive integers; a new one is never one issued before (docs/metronome.md#get_id).
 * An id is held by at most one connection at a time: from its issue (or reclaim) to its release.
 */
export interface IdAllocator {
  /** A fresh id, now held. */
  next(): Awaitable<number>;
  /** Hold `id` again if it was issued and nobody holds it now (the later dialect's get_id {client_id}). */
  reclaim(id: number): Awaitable<boolean>;
  /** Its connection closed: nobody holds `id` now. */
  release(id: number): Awaitable<void>;
}

export class SequentialIds implements IdAllocator {
  private last = 0;
  private readonly held = new Set<number>();
  next(): number {
    this.held.add(++this.last);
    return this.last;
  }
  reclaim(id: number): boolean {
    if (!Number.isInteger(id) || id < 1 || id > this.last || this.held.has(id)) return false;
    this.held.add(id);
    return true;
  }
  release(id: number): void {
    this.held.delete(id);
  }
}

/** The topics of the groups: on several nodes, the group's events travel on it (docs/cluster.md#metronome). */
export const GROUP_TOPIC_PREFIX = "metronome:";
/** Every member of a group is subscribed to its topic, so a frame they all share is published once. */
export const groupTopic = (id: number): string => GROUP_TOPIC_PREFIX + id;

/** One metronome group. client_id === group_id; the owner is a member of its own group. */
export interface Group<M> {
  readonly id: number;
  /** The fan-out topic every member is subscribed to (built once: it is used per broadcast). */
  readonly topic: string;
  /**
   * Its owner's client. null: a mirror, a group owned on another node, holding this node's members
   * of it and the grid as last heard from the owner's node (docs/cluster.md#metronome).
   */
  readonly owner: M | null;
  /** Its members on this node. */
  readonly members: Set<M>;
  /** null while stopped. */
  grid: Grid | null;
  /** Last tempo set (start_metronome or update_temp), kept while stopped. */
  bpm: number | null;
}

/** What the owner did to a group's grid. */
export type GridChange = "start" | "tempo" | "stop";

/**
 * What a mirror's members must hear: the owner's change; "end": the group is gone (its owner's
 * connection or node); "resync": the grid may have moved while news could not arrive (Redis was out
 * of reach), so each member is sent the grid running now.
 */
export type RemoteChange = GridChange | "end" | "resync";

export interface GroupRegistry<M> {
  /** A group this node knows now: one owned here, or a mirror of one owned elsewhere. */
  get(id: number): Group<M> | undefined;
  /** Any group: one owned on another node is looked up and mirrored here while it has members here. */
  find(id: number): Awaitable<Group<M> | undefined>;
  /** A new group, owned here; settles once every node can find it. */
  add(group: Group<M>): Awaitable<void>;
  /** A group ends (its owner's connection closed), or a mirror is dropped. */
  remove(group: Group<M>): void;
  /** The owner changed a group's grid or tempo; `from`: the grid an update_temp continues. */
  changed(group: Group<M>, change: GridChange, from: Grid | null): void;
  /** A member left `group`: a mirror without members here is forgotten. */
  left(group: Group<M>): void;
  /** Groups owned here. */
  readonly size: number;
  /** Groups owned here with a running grid, for the metrics gauge. */
  playing(): number;
  /** Every group owned here (for the status feed). */
  values(): Iterable<Group<M>>;
}

export class MemoryGroups<M> implements GroupRegistry<M> {
  private readonly groups = new Map<number, Group<M>>();
  get(id: number) {
    return this.groups.get(id);
  }
  find(id: number) {
    return this.groups.get(id);
  }
  add(group: Group<M>) {
    this.groups.set(group.id, group);
  }
  remove(group: Group<M>) {
    if (this.groups.get(group.id) === group) this.groups.delete(group.id);
  }
  changed(_group: Group<M>, _change: GridChange, _from: Grid | null) {}
  left(_group: Group<M>) {}
  get size() {
    return this.groups.size;
  }
  values() {
    return this.groups.values();
  }
  playing() {
    let n = 0;
    for (const g of this.groups.values()) if (g.grid) n++;
    return n;
  }
}
