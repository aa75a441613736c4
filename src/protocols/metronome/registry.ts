// Client ids and the group registry, behind small interfaces (docs/architecture.md#several-nodes:
// several nodes will share these through Redis). Today: in-memory implementations.
import type { Grid } from "./grid.ts";

/**
 * Issues client ids: positive integers; a new one is never one issued before (docs/metronome.md#get_id).
 * An id is held by at most one connection at a time: from its issue (or reclaim) to its release.
 */
export interface IdAllocator {
  /** A fresh id, now held. */
  next(): number;
  /** Hold `id` again if this allocator issued it and nobody holds it now (the later dialect's get_id {client_id}). */
  reclaim(id: number): boolean;
  /** Its connection closed: nobody holds `id` now. */
  release(id: number): void;
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

/** One metronome group. client_id === group_id; the owner is a member of its own group. */
export interface Group<M> {
  readonly id: number;
  /** The fan-out topic every member is subscribed to (built once: it is used per broadcast). */
  readonly topic: string;
  readonly owner: M;
  readonly members: Set<M>;
  /** null while stopped. */
  grid: Grid | null;
  /** Last tempo set (start_metronome or update_temp), kept while stopped. */
  bpm: number | null;
}

export interface GroupRegistry<M> {
  get(id: number): Group<M> | undefined;
  add(group: Group<M>): void;
  remove(id: number): void;
  readonly size: number;
  /** Groups with a running grid, for the metrics gauge. */
  playing(): number;
  /** Every group (for the status feed). */
  values(): Iterable<Group<M>>;
}

export class MemoryGroups<M> implements GroupRegistry<M> {
  private readonly groups = new Map<number, Group<M>>();
  get(id: number) {
    return this.groups.get(id);
  }
  add(group: Group<M>) {
    this.groups.set(group.id, group);
  }
  remove(id: number) {
    this.groups.delete(id);
  }
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
