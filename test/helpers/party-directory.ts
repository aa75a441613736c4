// The watch-party room directory's tests (docs/cluster.md#watch-party), one suite run against
// each version: in memory (test/unit) and in a real Redis (test/system).
import { describe, expect, test } from "bun:test";
import type { RoomDirectory } from "../../src/protocols/syncparty/directory.ts";

let n = 0;
/** Ids no other test of the same run uses (a Redis lives for the whole file). */
const fresh = (what: string) => `${what}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

export function directorySuite(name: string, make: () => RoomDirectory): void {
  describe(`room directory (${name})`, () => {
    test("the first claim of an id wins; every later claim, from any node, is refused", async () => {
      const d = make();
      const [room, a, b] = [fresh("r"), fresh("a"), fresh("b")];
      expect(await d.owner(room)).toBeNull();
      expect(await d.claim(room, a)).toBe(true);
      expect(await d.claim(room, b)).toBe(false);
      expect(await d.claim(room, a)).toBe(false);
      expect(await d.owner(room)).toBe(a);
      expect(await d.roomsOf(a)).toEqual([room]);
      expect(await d.roomsOf(b)).toEqual([]);
    });

    test("only the holder can release an id; then anyone can claim it", async () => {
      const d = make();
      const [room, a, b] = [fresh("r"), fresh("a"), fresh("b")];
      await d.claim(room, a);
      await d.release(room, b);
      expect(await d.owner(room)).toBe(a);
      await d.release(room, a);
      expect(await d.owner(room)).toBeNull();
      expect(await d.roomsOf(a)).toEqual([]);
      expect(await d.claim(room, b)).toBe(true);
      expect(await d.owner(room)).toBe(b);
    });

    test("reaping a node forgets its ids and leaves the others' alone", async () => {
      const d = make();
      const [a, b] = [fresh("a"), fresh("b")];
      const mine = [fresh("r"), fresh("r"), fresh("r")];
      const theirs = fresh("r");
      for (const r of mine) await d.claim(r, a);
      await d.claim(theirs, b);
      expect(await d.roomsOf(a)).toEqual([...mine].sort());
      expect(await d.reap(a)).toBe(3);
      for (const r of mine) expect(await d.owner(r)).toBeNull();
      expect(await d.roomsOf(a)).toEqual([]);
      expect(await d.owner(theirs)).toBe(b);
      expect(await d.reap(a)).toBe(0);
    });

    test("an id another node claimed after a release is not reaped with the old holder", async () => {
      const d = make();
      const [room, a, b] = [fresh("r"), fresh("a"), fresh("b")];
      await d.claim(room, a);
      await d.release(room, a);
      await d.claim(room, b);
      expect(await d.reap(a)).toBe(0);
      expect(await d.owner(room)).toBe(b);
    });

    test("restore puts a node's ids back and names the ones another node holds now", async () => {
      const d = make();
      const [a, b] = [fresh("a"), fresh("b")];
      const [kept, lost, already] = [fresh("r"), fresh("r"), fresh("r")];
      await d.claim(lost, b);
      await d.claim(already, a);
      expect(await d.restore(a, [kept, lost, already])).toEqual([lost]);
      expect(await d.owner(kept)).toBe(a);
      expect(await d.owner(lost)).toBe(b);
      expect(await d.owner(already)).toBe(a);
      expect(await d.roomsOf(a)).toEqual([kept, already].sort());
      expect(await d.restore(a, [])).toEqual([]);
    });

    test("restore takes many ids at once", async () => {
      const d = make();
      const a = fresh("a");
      const ids = Array.from({ length: 1200 }, () => fresh("r"));
      expect(await d.restore(a, ids)).toEqual([]);
      expect((await d.roomsOf(a)).length).toBe(1200);
      expect(await d.owner(ids[1199]!)).toBe(a);
      expect(await d.reap(a)).toBe(1200);
    });

    test("concurrent claims of one id: exactly one wins", async () => {
      const d = make();
      const room = fresh("r");
      const nodes = Array.from({ length: 8 }, () => fresh("n"));
      const won = await Promise.all(nodes.map((x) => d.claim(room, x)));
      expect(won.filter(Boolean).length).toBe(1);
      expect(await d.owner(room)).toBe(nodes[won.indexOf(true)]!);
    });

    test("ids with odd characters are kept exactly", async () => {
      const d = make();
      const a = fresh("a");
      const room = `${fresh("r")} ünï:cödé/"x"`;
      expect(await d.claim(room, a)).toBe(true);
      expect(await d.owner(room)).toBe(a);
      expect(await d.roomsOf(a)).toEqual([room]);
    });
  });
}
