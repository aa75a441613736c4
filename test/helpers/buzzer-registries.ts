// The buzzer's shared registries across nodes (docs/cluster.md#buzzer): one suite each, run
// against the in-memory versions (test/unit) and the Redis ones (test/system): the pool
// directory, the phones' registry, the lead of the quiz game, and the shared buzzer names.
import { describe, expect, test } from "bun:test";
import type { PoolDirectory, PoolEntry } from "../../src/protocols/buzzer/directory.ts";
import type { NameStore } from "../../src/protocols/buzzer/game.ts";
import type { LeaderStore } from "../../src/protocols/buzzer/leader.ts";
import { MAX_PHONES } from "../../src/protocols/buzzer/phonebook.ts";
import type { ConnRef, PhoneRegistry } from "../../src/protocols/buzzer/phone-registry.ts";

let n = 0;
/** Names no other test of the same run uses (a Redis lives for the whole file). */
const fresh = (what: string) => `${what}-${++n}-${Math.random().toString(36).slice(2, 8)}`;

const entry = (pool: string, node: string, over: Partial<PoolEntry> = {}): PoolEntry => ({ pool, node, up: true, buzzers: [1, 2], colors: true, ...over });

export function poolDirectorySuite(name: string, make: () => PoolDirectory | Promise<PoolDirectory>): void {
  describe(`buzzer pool directory (${name})`, () => {
    test("a node writes its pools' entries; another node cannot take a pool id it holds", async () => {
      const d = await make();
      const [pool, a, b] = [fresh("/dev/p"), fresh("a"), fresh("b")];
      expect(await d.get(pool)).toBeNull();
      expect(await d.put(entry(pool, a))).toBe(a);
      expect(await d.put(entry(pool, b, { buzzers: [9] }))).toBe(a);
      expect(await d.get(pool)).toEqual(entry(pool, a));
      expect(await d.put(entry(pool, a, { up: false, buzzers: [], colors: null }))).toBe(a);
      expect(await d.get(pool)).toEqual(entry(pool, a, { up: false, buzzers: [], colors: null }));
    });

    test("only the holder removes an entry; all lists every pool by id", async () => {
      const d = await make();
      const [p1, p2, a, b] = [fresh("/dev/z"), fresh("/dev/m"), fresh("a"), fresh("b")];
      await d.put(entry(p1, a));
      await d.put(entry(p2, b, { buzzers: [] }));
      await d.remove(p1, b);
      expect((await d.get(p1))?.node).toBe(a);
      const mine = (await d.all()).filter((e) => e.pool === p1 || e.pool === p2);
      expect(mine).toEqual([entry(p2, b, { buzzers: [] }), entry(p1, a)].sort((x, y) => (x.pool < y.pool ? -1 : 1)));
      await d.remove(p1, a);
      expect(await d.get(p1)).toBeNull();
    });

    test("reaping a node takes its entries (returned) and leaves the others'", async () => {
      const d = await make();
      const [a, b] = [fresh("a"), fresh("b")];
      const mine = [fresh("/dev/r"), fresh("/dev/r")].sort();
      const theirs = fresh("/dev/r");
      for (const p of mine) await d.put(entry(p, a));
      await d.put(entry(theirs, b));
      expect((await d.reap(a)).map((e) => e.pool)).toEqual(mine);
      for (const p of mine) expect(await d.get(p)).toBeNull();
      expect((await d.get(theirs))?.node).toBe(b);
      expect(await d.reap(a)).toEqual([]);
    });

    test("restore puts a node's entries back, drops its pools that are gone, names those another node holds now", async () => {
      const d = await make();
      const [a, b] = [fresh("a"), fresh("b")];
      const [kept, stale, lost] = [fresh("/dev/s"), fresh("/dev/s"), fresh("/dev/s")];
      await d.put(entry(stale, a));
      await d.put(entry(lost, b));
      expect(await d.restore(a, [entry(kept, a, { buzzers: [4] }), entry(lost, a)])).toEqual([lost]);
      expect(await d.get(kept)).toEqual(entry(kept, a, { buzzers: [4] }));
      expect(await d.get(stale)).toBeNull();
      expect((await d.get(lost))?.node).toBe(b);
      expect(await d.restore(a, [])).toEqual([]);
      expect(await d.get(kept)).toBeNull();
    });

    test("pool ids with odd characters are kept exactly", async () => {
      const d = await make();
      const pool = `${fresh("/dev/serial/by-id/usb")} ünï "x" \\ /`;
      const a = fresh("a");
      await d.put(entry(pool, a));
      expect(await d.get(pool)).toEqual(entry(pool, a));
      expect((await d.reap(a)).map((e) => e.pool)).toEqual([pool]);
    });
  });
}

export function phoneRegistrySuite(name: string, make: (ids: () => string) => PhoneRegistry | Promise<PhoneRegistry>): void {
  describe(`phones registry (${name})`, () => {
    async function setup() {
      let k = 0;
      const prefix = fresh("id");
      const r = await make(() => `${prefix}-${String(++k).padStart(8, "0")}`);
      const node = fresh("n");
      const at = (conn: number, on = node): ConnRef => ({ node: on, conn });
      const join = async (conn: number, name: string, id: string | null = null, now = 1000, on = node) => {
        const got = await r.join(at(conn, on), name, id, now);
        if ("error" in got) throw new Error(got.message ?? "");
        return got;
      };
      return { r, node, at, join, id: (i: number) => `${prefix}-${String(i).padStart(8, "0")}` };
    }

    test("the lowest free buzzer and a new phone id; a join with that id gets the same buzzer back", async () => {
      const { r, at, join, id } = await setup();
      const a = await join(1, "Ann");
      expect(a).toEqual({ buzzer: 1, phoneId: id(1), name: "Ann", nameChanged: true, connected: true, replaced: null, left: null });
      expect((await join(2, "Bob")).buzzer).toBe(2);
      expect(await r.connected()).toEqual([1, 2]);
      expect(await r.leave(at(1), 2000)).toBe(1);
      expect(await r.leave(at(1), 2000)).toBeNull();
      expect(await r.connected()).toEqual([2]);
      expect(await join(3, "Ann", a.phoneId, 3000)).toEqual({ ...a, nameChanged: false });
      expect(await join(3, "Annie", a.phoneId, 3000)).toMatchObject({ buzzer: 1, nameChanged: true, connected: false });
    });

    test("a connection on another node with the same phone id takes it over", async () => {
      const { r, at, join } = await setup();
      const a = await join(1, "Ann");
      const other = fresh("other");
      expect(await join(7, "Ann", a.phoneId, 1000, other)).toMatchObject({ buzzer: 1, connected: false, replaced: at(1), left: null });
      expect(await r.leave(at(1), 2000)).toBeNull(); // the old socket closing does not take it away
      expect(await r.connected()).toEqual([1]);
    });

    test("a connection that joins as another phone leaves the first; an unknown phone id is registered as given", async () => {
      const { r, at, join } = await setup();
      await join(1, "Ann");
      const b = await join(2, "Bob");
      await r.leave(at(2), 1500);
      expect(await join(1, "Bob", b.phoneId, 2000)).toMatchObject({ buzzer: 2, connected: true, left: 1 });
      expect(await r.connected()).toEqual([2]);
      const kept = fresh("kept-from-before");
      expect(await join(9, "Cid", kept)).toMatchObject({ buzzer: 3, phoneId: kept, nameChanged: true });
    });

    test("an absent phone keeps its id for an hour; when all are registered the one away longest gives it up", async () => {
      const { r, at, join } = await setup();
      const hour = 60 * 60 * 1000;
      const a = await join(1, "Ann", null, 0);
      await join(2, "Bob", null, 0);
      await r.leave(at(1), 10);
      expect((await join(3, "Cid", null, 10 + hour - 1)).buzzer).toBe(3);
      expect((await join(4, "Dee", null, 10 + hour)).buzzer).toBe(1);
      expect(await join(5, "Ann", a.phoneId, 10 + hour)).toMatchObject({ buzzer: 4, nameChanged: true });
      for (let c = 6; c <= MAX_PHONES + 1; c++) await join(c, `P${c}`, null, 20 + hour);
      expect(await r.join(at(999), "Late", null, 30 + hour)).toEqual({ error: "phone", message: "all 255 phone buzzers are taken", cause: null });
      await r.leave(at(10), 40 + hour);
      await r.leave(at(20), 41 + hour);
      // Conn c joined as buzzer c − 1: the phone away longest (conn 10's) gives its id first.
      expect((await join(1000, "Late", null, 50 + hour)).buzzer).toBe(9);
      expect((await join(1001, "Later", null, 50 + hour)).buzzer).toBe(19);
    });

    test("reaping a node: its phones are absent (their buzzers returned), kept for their ids", async () => {
      const { r, join } = await setup();
      const other = fresh("other");
      await join(1, "Ann");
      await join(2, "Bob", null, 1000, other);
      await join(3, "Cid");
      expect(await r.reap(fresh("nobody"), 2000)).toEqual([]);
      expect(await r.heldBy(other)).toEqual([2]);
      expect(await r.reap(other, 2000)).toEqual([2]);
      expect(await r.heldBy(other)).toEqual([]);
      expect((await r.connected()).sort()).toEqual([1, 3]);
      expect(await join(8, "Bob", null, 2000)).toMatchObject({ buzzer: 4 }); // 2 is still Bob's for an hour
    });

    test("restore puts a node's phones back; a buzzer another connected phone has now is lost; unlisted ones leave", async () => {
      const { r, node, join, id } = await setup();
      const other = fresh("other");
      const ann = await join(1, "Ann");
      await join(2, "Gone");
      expect(await r.reap(node, 2000)).toEqual([1, 2]);
      await join(5, "Eve", null, 2000, other); // buzzer 3
      // As if Redis had lost everything: Zed's buzzer 3 is Eve's now.
      const [neu, zed] = [fresh("restored-phone"), fresh("restored-phone")];
      const lost = await r.restore(node, [
        { conn: 1, phoneId: ann.phoneId, buzzer: 1, name: "Ann" },
        { conn: 4, phoneId: neu, buzzer: 9, name: "Neu" },
        { conn: 6, phoneId: zed, buzzer: 3, name: "Zed" },
      ], 3000);
      expect(lost).toEqual([6]);
      expect(await r.connected()).toEqual([1, 3, 9]);
      expect(await join(4, "Neu", neu, 3000)).toMatchObject({ buzzer: 9, connected: false, nameChanged: false });
      // Restoring again without conn 4: it closed meanwhile, its phone is absent.
      expect(await r.restore(node, [{ conn: 1, phoneId: ann.phoneId, buzzer: 1, name: "Ann" }], 4000)).toEqual([]);
      expect(await r.connected()).toEqual([1, 3]);
      expect(ann.phoneId).toBe(id(1));
    });

    test("names with odd characters come back as given", async () => {
      const { join } = await setup();
      const name = `Ünï "cödé" \\ 🎉 ${fresh("x")}`;
      expect((await join(1, name)).name).toBe(name);
      expect(await join(1, name, (await join(1, name)).phoneId)).toMatchObject({ nameChanged: false });
    });
  });
}

export function leaderStoreSuite(name: string, make: () => LeaderStore | Promise<LeaderStore>): void {
  describe(`quiz leader store (${name})`, () => {
    test("the first node that may take the lead gets it; others see it; the holder refreshes it", async () => {
      const l = await make();
      const [a, b] = [fresh("a"), fresh("b")];
      expect(await l.claim(b, 5000, false, Date.now())).toEqual({ holder: "", round: expect.any(Number) });
      expect((await l.claim(a, 5000, true, Date.now())).holder).toBe(a);
      expect((await l.claim(b, 5000, true, Date.now())).holder).toBe(a);
      expect((await l.claim(a, 5000, false, Date.now())).holder).toBe(a);
      await l.drop(b); // not b's: nothing happens
      expect((await l.claim(b, 5000, true, Date.now())).holder).toBe(a);
      await l.drop(a);
      expect((await l.claim(b, 5000, false, Date.now())).holder).toBe("");
      expect((await l.claim(b, 5000, true, Date.now())).holder).toBe(b);
    });

    test("a lead not refreshed runs out", async () => {
      const l = await make();
      const [a, b] = [fresh("a"), fresh("b")];
      expect((await l.claim(a, 40, true, Date.now())).holder).toBe(a);
      await Bun.sleep(120);
      expect((await l.claim(b, 5000, true, Date.now())).holder).toBe(b);
      await l.drop(b);
    });

    test("the round kept only goes up", async () => {
      const l = await make();
      const a = fresh("a");
      const before = (await l.claim(a, 5000, false, Date.now())).round;
      await l.saveRound(before + 3);
      await l.saveRound(before + 1);
      expect((await l.claim(a, 5000, false, Date.now())).round).toBe(before + 3);
    });
  });
}

export function nameStoreSuite(name: string, make: () => NameStore | Promise<NameStore>): void {
  describe(`buzzer names (${name})`, () => {
    test("set, get, rename and clear, per pool and buzzer", async () => {
      const s = await make();
      const [p, q] = [fresh("/dev/ttyACM"), fresh("/dev/ttyACM")];
      expect(await s.get(p, 1)).toBeNull();
      await s.set(p, 1, "Quizzly Bears");
      await s.set(p, 2, "Les Mots Dits");
      await s.set(p, 2, "Sofa Kings");
      expect(await s.get(p, 1)).toBe("Quizzly Bears");
      expect(await s.get(p, 2)).toBe("Sofa Kings");
      expect(await s.get(q, 1)).toBeNull();
      await s.set(p, 1, null);
      expect(await s.get(p, 1)).toBeNull();
      await s.set(q, 9, null);
      const odd = `Ünï "cödé" 🎉 \\ :1`;
      await s.set(`${q}:2`, 1, odd);
      expect(await s.get(`${q}:2`, 1)).toBe(odd);
      expect(await s.get(q, 21)).toBeNull();
    });
  });
}
