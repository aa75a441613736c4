// Who listens to each sender id, per draft (docs/clicker.md#draft-2): a new score is formatted
// and published only in the drafts someone listens in, so a score nobody follows costs one map
// lookup and no fan-out. A LISTEN that replaces another changes only the difference: the ids it
// adds are subscribed and counted, those it drops unsubscribed, and a LISTEN repeating the same
// ids costs no per-id work at all.
import type { Conn } from "../../transport/types.ts";
import type { Draft } from "./codec.ts";

/** One topic per sender id and draft; a listener subscribes to the ids it asked for. */
export const topicOf = (id: string, draft: Draft = 1) => (draft === 1 ? `clicker:${id}` : `clicker2:${id}`);

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

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

  /** A listener's ids (and draft) change from `from` to `to`: subscriptions and counts follow. */
  move(conn: Pick<Conn, "subscribe" | "unsubscribe">, from: readonly string[], fromDraft: Draft, to: readonly string[], toDraft: Draft): void {
    if (fromDraft !== toDraft) {
      for (const id of from) conn.unsubscribe(topicOf(id, fromDraft));
      for (const id of to) conn.subscribe(topicOf(id, toDraft));
      this.add(from, fromDraft, -1);
      this.add(to, toDraft, 1);
      return;
    }
    if (same(from, to)) return;
    const before = new Set(from);
    const after = new Set(to);
    const gone = from.filter((id) => !after.has(id));
    const added = to.filter((id) => !before.has(id));
    for (const id of gone) conn.unsubscribe(topicOf(id, toDraft));
    for (const id of added) conn.subscribe(topicOf(id, toDraft));
    this.add(gone, toDraft, -1);
    this.add(added, toDraft, 1);
  }

  /** The listener counts of an id, or undefined when it has none. */
  of(id: string): readonly [number, number] | undefined {
    return this.byId.get(id);
  }
}
