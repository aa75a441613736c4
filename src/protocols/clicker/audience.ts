// Who listens to each sender id, per draft (docs/clicker.md#draft-2): a new score is formatted
// and published only in the drafts someone listens in, so a score nobody follows costs one map
// lookup and no fan-out.
import type { Draft } from "./codec.ts";

export class Audience {
  /** [LISTEN connections, SUBSCRIBE connections] per id; ids nobody listens to have no entry. */
  private readonly byId = new Map<string, [number, number]>();

  /** Adds delta to the listeners of each id in this draft. */
  add(ids: readonly string[], draft: Draft, delta: 1 | -1): void {
    for (const id of ids) {
      let a = this.byId.get(id);
      if (!a) this.byId.set(id, (a = [0, 0]));
      if (draft === 1) a[0] += delta;
      else a[1] += delta;
      if (a[0] === 0 && a[1] === 0) this.byId.delete(id);
    }
  }

  /** The listener counts of an id, or undefined when it has none. */
  of(id: string): readonly [number, number] | undefined {
    return this.byId.get(id);
  }
}
