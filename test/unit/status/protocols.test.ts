// Each protocol's part of the status feed (docs/pages.md#the-status-feed), built from its pure
// state with fakes: what is shown, how it is ordered and bounded, and that no secret is in it.
import { describe, expect, test } from "bun:test";
import { Mediator, type PoolSink } from "../../../src/protocols/buzzer/state.ts";
import { AVAILABLE_EVERY_MS, buzzerStatus } from "../../../src/protocols/buzzer/status.ts";
import { clickerStatus, localMidnight } from "../../../src/protocols/clicker/status.ts";
import type { Activity } from "../../../src/protocols/clicker/today.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "../../../src/protocols/socketio/registry.ts";
import { CommandRelay, type Payload, type RelayPeer } from "../../../src/protocols/socketio/state.ts";
import { COMMAND_SHOWN, relayStatus } from "../../../src/protocols/socketio/status.ts";
import { PartyRooms, type CreateArgs } from "../../../src/protocols/syncparty/state.ts";
import { partyStatus } from "../../../src/protocols/syncparty/status.ts";
import { STATUS_LIST_MAX } from "../../../src/pages/lib/status-types.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

const flush = () => new Promise<void>((r) => setImmediate(r));

describe("watch-party status", () => {
  const setup = () => {
    const clock = new FakeClock();
    const hub = new FakeHub();
    let t = 0;
    const rooms = new PartyRooms({ clock, topics: hub, graceMs: 30000, maxParticipants: 100, maxRooms: 1000, roomsPerConn: 1000, newRoomId: () => "gen", newResumeToken: () => `secret-token-${++t}` });
    const args = (over: Partial<CreateArgs> = {}): CreateArgs => ({ room: "r1", clientId: "host", name: "Hana", mediaUrl: "m.mp4", startPos: 10, options: { free_play: true, extra: "x" } as never, resumeToken: null, ...over });
    return { clock, hub, rooms, args };
  };

  test("rooms with host, participants, position and when it held, play state, the two flags; no resume token", () => {
    const { clock, hub, rooms, args } = setup();
    const h = new FakeConn(hub);
    const g = new FakeConn(hub);
    rooms.create(h, args());
    rooms.join(g, "r1", "g", "Gus", null);
    clock.advance(5000);
    const s = partyStatus(rooms, clock)();
    expect(s).toEqual({
      room_count: 1,
      participant_count: 2,
      rooms: [
        {
          id: "r1",
          host: "host",
          participants: [
            { client_id: "host", name: "Hana", is_host: true },
            { client_id: "g", name: "Gus", is_host: false },
          ],
          participant_count: 2,
          position: 10,
          position_at: clock.now() - 5000,
          play_state: "paused",
          media_url: "m.mp4",
          free_play: true,
          private: false,
        },
      ],
    });
    expect(JSON.stringify(s)).not.toContain("secret-token");
  });

  test("the same state gives the same snapshot as time passes (position_at does not wobble)", () => {
    const { clock, hub, rooms, args } = setup();
    rooms.create(new FakeConn(hub), args());
    const status = partyStatus(rooms, clock);
    const first = JSON.stringify(status());
    for (let i = 0; i < 20; i++) {
      clock.advance(13);
      clock.wall += i % 2; // the two clocks never read at exactly the same instant
      expect(JSON.stringify(status())).toBe(first);
    }
    clock.wall += 60_000; // the wall clock was stepped: positions move with it
    expect(status().rooms[0]!.position_at).toBe(JSON.parse(first).rooms[0].position_at + 60_000 + 10);
  });
});

describe("relay status", () => {
  class Peer implements RelayPeer {
    constructor(readonly id: string) {}
    emit(_e: string, _p: Payload): void {}
    deliver(_e: string, _p: Payload): void {}
  }
  test("monitors online first then by id, awaited ones offline, pending commands with their users; no socket ids", () => {
    const relay = new CommandRelay(new MemoryMonitorDirectory(), new MemoryPendingCommands(), (() => { let n = 0; return () => `c${++n}`; })());
    for (const k of ["sock-m1", "sock-m2", "sock-u1", "sock-u2", "sock-u3"]) relay.join(new Peer(k));
    relay.con("sock-m2", { monitor_id: "zeta" });
    relay.con("sock-m1", { monitor_id: "alpha" });
    relay.query("sock-u1", { monitor_id: "zeta" });
    relay.query("sock-u2", { monitor_id: "gone" });
    relay.commandSend("sock-u1", { command: "x".repeat(COMMAND_SHOWN + 50) });
    relay.commandSend("sock-u1", { command: "two" });
    const s = relayStatus(relay.view(), 1);
    expect(s.monitors.map((m) => [m.monitor_id, m.online, m.pending_count, m.users])).toEqual([
      ["alpha", true, 0, 0],
      ["zeta", true, 2, 1],
      ["gone", false, 0, 1],
    ]);
    expect(s.monitors[1]!.pending).toEqual([
      { id: "c1", command: "x".repeat(COMMAND_SHOWN) },
      { id: "c2", command: "two" },
    ]);
    expect(s.users).toEqual([
      { monitor_id: "zeta", pending: 2 },
      { monitor_id: "gone", pending: 0 },
      { monitor_id: null, pending: 0 },
    ]);
    expect([s.monitor_count, s.user_count, s.pending_total, s.recovering, s.loaded]).toEqual([2, 3, 2, 1, true]);
    expect(JSON.stringify(s)).not.toContain("sock-");
  });

  test("before the layer is loaded: empty, loaded false", () => {
    expect(relayStatus(null, 0)).toEqual({ loaded: false, monitors: [], monitor_count: 0, users: [], user_count: 0, pending_total: 0, recovering: 0 });
  });
});

describe("buzzer status", () => {
  const setup = () => {
    const clock = new FakeClock();
    const sinks = new Map<string, PoolSink>();
    let discoveries = 0;
    const m = new Mediator({
      clock,
      topics: new FakeHub(),
      connectTimeoutMs: 3000,
      discover: () => (discoveries++, ["/dev/ttyUSB9", "/dev/ttyACM0"]),
      vet: () => null,
      openPool: (spec, sink) => (sinks.set(spec.id, sink), { colors: true, setColor: () => true, close: () => {} }),
    });
    return { clock, m, sinks, discoveries: () => discoveries };
  };

  test("each pool's state (connecting, connected, down), its buzzers with names, and the devices to connect", () => {
    const { clock, m, sinks } = setup();
    m.startConfigured(["/dev/ttyACM0"]);
    const c = new FakeConn(new FakeHub(), true);
    c.state = m.open(c);
    m.message(c.state, JSON.stringify({ command: "connect", pool: "/dev/input/event5" }));
    const status = buzzerStatus({ mediator: m, clock, nameOf: (pool, b) => (pool === "/dev/ttyACM0" && b === 2 ? "Team Red" : null) });
    expect(status().pools.map((p) => [p.pool, p.state, p.kind, p.configured])).toEqual([
      ["/dev/ttyACM0", "down", "serial", true],
      ["/dev/input/event5", "connecting", "keyboard", false],
    ]);
    sinks.get("/dev/ttyACM0")!.up([2, 1]);
    const s = status();
    expect(s.pools[0]).toEqual({ pool: "/dev/ttyACM0", kind: "serial", state: "connected", configured: true, colors: true, buzzers: [{ buzzer: 1, name: null }, { buzzer: 2, name: "Team Red" }] });
    expect(s.connected_count).toBe(1);
    expect(s.available).toEqual(["/dev/input/event5", "/dev/ttyACM0", "/dev/ttyUSB9"]);
  });

  test("the device folders are read at most every 2 s however often the feed asks", () => {
    const { clock, m, discoveries } = setup();
    const status = buzzerStatus({ mediator: m, clock });
    for (let i = 0; i < 40; i++) {
      status();
      clock.advance(100);
    }
    expect(discoveries()).toBe(Math.ceil((40 * 100) / AVAILABLE_EVERY_MS));
  });
});

describe("clicker status", () => {
  const setup = () => {
    const clock = new FakeClock(new Date(2026, 3, 10, 15, 30).getTime());
    const live = new Map<string, { ts: bigint; score: bigint; id: string } | null>();
    const asked: Array<[number, string[]]> = [];
    let rows: Activity[] = [];
    let fail = false;
    let hold: Promise<void> | null = null;
    const status = clickerStatus({
      liveSenders: () => [...live].map(([id, latest]) => ({ id, latest })),
      listenerCount: () => 3,
      activity: async (since, ids) => {
        asked.push([since, ids]);
        if (hold) await hold;
        if (fail) throw new Error("disk full");
        return rows;
      },
      clock,
      waitMs: 1000,
    });
    return { clock, live, asked, status, setRows: (r: Activity[]) => (rows = r), setFail: (f: boolean) => (fail = f), setHold: (p: Promise<void> | null) => (hold = p) };
  };

  test("online devices first, then offline ones that scored today; latest from the relay when it has one", async () => {
    const h = setup();
    h.live.set("000200", { id: "000200", ts: 9n, score: 42n });
    h.live.set("000100", null);
    h.setRows([
      { id: "000100", today: 4, latest: { ts: 1n, score: 5n } },
      { id: "000050", today: 2, latest: { ts: 3n, score: 7n } },
      { id: "000200", today: 6, latest: { ts: 8n, score: 41n } },
    ]);
    const s = await h.status();
    expect(s.devices).toEqual([
      { id: "000100", online: true, latest: { ts: 1, score: 5 }, today: 4 },
      { id: "000200", online: true, latest: { ts: 9, score: 42 }, today: 6 },
      { id: "000050", online: false, latest: { ts: 3, score: 7 }, today: 2 },
    ]);
    expect([s.device_count, s.online_count, s.today_total, s.listeners]).toEqual([3, 2, 12, 3]);
    expect(s.day_start).toBe(new Date(2026, 3, 10).getTime());
    expect(h.asked).toEqual([[s.day_start, ["000200", "000100"]]]);
  });

  test("the database is asked again only when a live sender's newest score, the live set or the day changed", async () => {
    const h = setup();
    h.live.set("000001", null);
    await h.status();
    await h.status();
    h.clock.advance(60_000);
    await h.status();
    expect(h.asked.length).toBe(1);
    h.live.set("000001", { id: "000001", ts: 1n, score: 1n }); // a score was stored
    await h.status();
    h.live.set("000002", null); // another clicker came
    await h.status();
    h.clock.advance(9 * 3600_000); // past midnight
    await h.status();
    expect(h.asked.length).toBe(4);
    expect(h.asked[3]![0]).toBe(new Date(2026, 3, 11).getTime());
  });

  test("a database that fails or stalls leaves the last answer in place; the snapshot waits at most waitMs", async () => {
    const h = setup();
    h.live.set("000001", null);
    h.setRows([{ id: "000001", today: 5, latest: null }]);
    expect((await h.status()).today_total).toBe(5);
    h.setFail(true);
    h.live.set("000001", { id: "000001", ts: 2n, score: 9n });
    const s = await h.status();
    expect(s.today_total).toBe(5);
    expect(s.devices[0]!.latest).toEqual({ ts: 2, score: 9 });
    let release = () => {};
    h.setHold(new Promise<void>((r) => (release = r)));
    h.setFail(false);
    h.live.set("000001", { id: "000001", ts: 3n, score: 10n });
    const waiting = h.status();
    await flush();
    h.clock.advance(1000);
    expect((await waiting).today_total).toBe(5);
    release();
  });

  test("local midnight is the start of the local day", () => {
    const t = new Date(2026, 0, 2, 23, 59, 59).getTime();
    expect(localMidnight(t)).toBe(new Date(2026, 0, 2).getTime());
    expect(localMidnight(new Date(2026, 0, 3).getTime())).toBe(new Date(2026, 0, 3).getTime());
  });
});

test("lists are bounded by STATUS_LIST_MAX", () => {
  const clock = new FakeClock();
  const hub = new FakeHub();
  let n = 0;
  const rooms = new PartyRooms({ clock, topics: hub, graceMs: 30000, maxParticipants: 100, maxRooms: 10_000, roomsPerConn: 10_000, newRoomId: () => `g${++n}`, newResumeToken: () => `t${++n}` });
  for (let i = 0; i < STATUS_LIST_MAX + 5; i++) rooms.create(new FakeConn(hub), { room: `r${i}`, clientId: `c${i}`, name: "", mediaUrl: "", startPos: 0, options: {}, resumeToken: null });
  const s = partyStatus(rooms, clock)();
  expect(s.rooms.length).toBe(STATUS_LIST_MAX);
  expect(s.room_count).toBe(STATUS_LIST_MAX + 5);
});
