// Client ids and the group registry, behind small interfaces (several nodes sharing these through
// Redis: docs/architecture.md#several-nodes). Today: in-memory implementations.
import type { Grid } from "./grid.ts";

/** Issues client ids: positive integers, never re-issued for the server's lifetime (docs/metronome.md#get_id). */
export interface IdAllocator {
  next(): number;
}

export class SequentialIds implements IdAllocator {
  private last = 0;
  next(): number {
    return ++this.last;
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
  playing() {
    let n = 0;
    for (const g of this.groups.values()) if (g.grid) n++;
    return n;
  }
}
