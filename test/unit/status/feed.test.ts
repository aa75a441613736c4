// The live status feed's rules (docs/pages.md#the-status-feed) on a fake clock: nothing runs
// without a watcher, a watcher gets a snapshot at once, changes go out at most once a period and
// unchanged snapshots not at all, the heartbeat, and the end of every stream on close.
import { describe, expect, test } from "bun:test";
import type { StatusSnapshot } from "../../../src/pages/lib/status-types.ts";
import { changeKey, StatusFeed, type Watcher } from "../../../src/status/feed.ts";
import { FakeClock } from "../../helpers/fakes.ts";

const flush = () => new Promise<void>((r) => setImmediate(r));

function harness() {
  const clock = new FakeClock();
  let rooms = 0;
  let taken = 0;
  const snapshot = async (): Promise<StatusSnapshot> => {
    taken++;
    return {
      ts: clock.now(),
      server: { version: "t", started_at: 0, uptime_s: clock.mono() / 1000, connections: {}, limits: { open_files_soft: null, open_files_hard: null, max_connections: null, max_connections_per_ip: null, connections: 0 }, store: { status: "ok", pending: 0, oldest_ms: 0, error: null } },
      syncparty: { room_count: rooms, participant_count: 0, rooms: [] },
    };
  };
  const feed = new StatusFeed({ snapshot, clock, everyMs: 250, heartbeatMs: 15_000 });
  const watcher = () => {
    const got: { event: string; data: any }[] = [];
    const w: Watcher & { got: typeof got; ended: boolean } = {
      got,
      ended: false,
      send: (event, data) => void got.push({ event, data: JSON.parse(data) }),
      end: () => void (w.ended = true),
    };
    return w;
  };
  /** Advance in 250 ms steps, letting each tick's promise settle. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 250) {
      clock.advance(Math.min(250, ms - t));
      await flush();
    }
  };
  return { clock, feed, watcher, run, setRooms: (n: number) => (rooms = n), taken: () => taken };
}

describe("status feed", () => {
  test("with nobody watching there is no timer and no snapshot", async () => {
    const h = harness();
    await h.run(60_000);
    expect(h.taken()).toBe(0);
    expect(h.clock.pending).toBe(0);
  });

  test("a new watcher gets the snapshot at once; an unchanged state sends nothing more", async () => {
    const h = harness();
    const w = h.watcher();
    h.feed.watch(w);
    await flush();
    expect(w.got.map((g) => g.event)).toEqual(["status"]);
    await h.run(5000);
    expect(w.got.length).toBe(1); // only ts and uptime moved: not a change
    expect(h.taken()).toBeGreaterThanOrEqual(20);
  });

  test("a change reaches every watcher within one period, once", async () => {
    const h = harness();
    const a = h.watcher();
    const b = h.watcher();
    h.feed.watch(a);
    h.feed.watch(b);
    await flush();
    await h.run(1000);
    const before = [a.got.length, b.got.length];
    h.setRooms(1);
    await h.run(250);
    expect(a.got.length).toBe(before[0]! + 1);
    expect(b.got.length).toBe(before[1]! + 1);
    expect(a.got.at(-1)!.data.syncparty.room_count).toBe(1);
    await h.run(2000);
    expect(a.got.length).toBe(before[0]! + 1);
  });

  test("changes faster than the period are sent at most once per period", async () => {
    const h = harness();
    const w = h.watcher();
    h.feed.watch(w);
    await flush();
    let n = 0;
    for (let i = 0; i < 40; i++) {
      h.setRooms(++n);
      h.clock.advance(50);
      await flush();
    }
    // 2 s of changes every 50 ms: one snapshot per 250 ms period, plus the first.
    expect(w.got.length).toBeLessThanOrEqual(1 + 2000 / 250);
    expect(w.got.length).toBeGreaterThanOrEqual(2000 / 250 - 1);
  });

  test("a heartbeat every 15 s while watched; the last watcher leaving stops every timer", async () => {
    const h = harness();
    const w = h.watcher();
    const stop = h.feed.watch(w);
    await flush();
    await h.run(31_000);
    expect(w.got.filter((g) => g.event === "ping").length).toBe(2);
    expect(typeof w.got.find((g) => g.event === "ping")!.data.ts).toBe("number");
    stop();
    const taken = h.taken();
    await h.run(30_000);
    expect(h.taken()).toBe(taken);
    expect(h.clock.pending).toBe(0);
  });

  test("a watcher that comes after others gets the current snapshot even when nothing changed", async () => {
    const h = harness();
    const a = h.watcher();
    h.feed.watch(a);
    await flush();
    await h.run(1000);
    const b = h.watcher();
    h.feed.watch(b);
    await flush();
    await h.run(250);
    expect(b.got.filter((g) => g.event === "status").length).toBe(1);
    expect(a.got.filter((g) => g.event === "status").length).toBe(1);
  });

  test("close ends every stream, stops the timers and ends a later watcher at once", async () => {
    const h = harness();
    const a = h.watcher();
    h.feed.watch(a);
    await flush();
    h.feed.close();
    expect(a.ended).toBe(true);
    expect(h.feed.size).toBe(0);
    await h.run(1000);
    expect(h.clock.pending).toBe(0);
    const b = h.watcher();
    h.feed.watch(b);
    expect(b.ended).toBe(true);
  });

  test("the change key ignores only the snapshot's time and the uptime", () => {
    const base = { ts: 1, server: { uptime_s: 1, version: "x" } } as unknown as StatusSnapshot;
    expect(changeKey({ ...base, ts: 2, server: { ...base.server, uptime_s: 9 } })).toBe(changeKey(base));
    expect(changeKey({ ...base, server: { ...base.server, version: "y" } })).not.toBe(changeKey(base));
  });
});
