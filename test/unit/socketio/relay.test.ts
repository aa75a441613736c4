// Unit tests of the pure relay hub (docs/socketio.md#events) with fake peers and the in-memory registries.
import { beforeEach, describe, expect, test } from "bun:test";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import { CommandRelay, Role, type Payload, type RelayPeer, type Roles } from "../../../src/protocols/socketio/state.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "../../../src/protocols/socketio/registry.ts";

class FakePeer implements RelayPeer {
  readonly got: Array<[string, Payload]> = [];
  constructor(readonly id: string) {}
  emit(event: string, payload: Payload): void {
    this.got.push([event, payload]);
  }
  /** What other peers' handlers sent it: recorded like its own replies, and counted apart. */
  delivered = 0;
  /** Deliveries taken back (withdraw), by what deliver returned. */
  readonly withdrawn: number[] = [];
  deliver(event: string, payload: Payload): number {
    this.got.push([event, payload]);
    return ++this.delivered;
  }
  withdraw(delivery: number): void {
    this.withdrawn.push(delivery);
  }
  take(): Array<[string, Payload]> {
    return this.got.splice(0);
  }
}

let relay: CommandRelay;
let pending: MemoryPendingCommands;
let n: number;
const peer = (key: string, roles?: Roles) => {
  const p = new FakePeer(key);
  relay.join(p, roles);
  return p;
};

/** The monitor of monitorWithUsers. */
let mon: FakePeer;
/** Monitor "m" registered as "dev" (mon), and users that queried it. */
const monitorWithUsers = (...users: string[]): FakePeer[] => {
  const peers = users.map((k) => peer(k));
  mon = peer("m");
  relay.con("m", { monitor_id: "dev" });
  for (const u of users) relay.query(u, { monitor_id: "dev" });
  return peers;
};

beforeEach(() => {
  n = 0;
  pending = new MemoryPendingCommands();
  relay = new CommandRelay(new MemoryMonitorDirectory(), pending, () => `id${++n}`);
});

describe("user", () => {
  test("query validates monitor_id; failure asks for a disconnect", () => {
    peer("u");
    for (const bad of [undefined, null, "m", {}, { monitor_id: "" }, { monitor_id: "a/b" }, { monitor_id: "x".repeat(65) }, { monitor_id: 5 }]) {
      expect(relay.query("u", bad)).toEqual({ event: "query failed", payload: { reason: Reason.badMonitorId }, disconnect: true });
    }
    expect(relay.query("u", { monitor_id: "A_b-9".padEnd(64, "z") })).toEqual({ event: "query ok", payload: { reason: "ok", online: false } });
  });

  test("command send: query first, valid command, monitor online — never a false ok", () => {
    peer("u");
    expect(relay.commandSend("u", { command: "x" }).payload.reason).toBe(Reason.queryFirst);
    relay.query("u", { monitor_id: "m" });
    expect(relay.commandSend("u", { command: "x" })).toEqual({ event: "command failed", payload: { reason: "monitor offline" } });
    const m = peer("mk");
    relay.con("mk", { monitor_id: "m" });
    m.take();
    for (const bad of [{}, { command: "" }, { command: 3 }, { command: "y".repeat(4097) }, { command: "😀".repeat(4097) }]) {
      expect(relay.commandSend("u", bad).payload.reason).toBe(Reason.badCommand);
    }
    // 4096 characters are code points: an emoji is one character (two UTF-16 units).
    for (const edge of ["y".repeat(4096), "😀".repeat(4096)]) expect(relay.commandSend("u", { command: edge }).event).toBe("command ok");
    m.take();
    pending.drain("m");
    n = 0;
    expect(relay.commandSend("u", { command: "go" })).toEqual({ event: "command ok", payload: { reason: "ok", id: "id1" } });
    expect(m.take()).toEqual([["command do", { reason: Reason.commandDo, command: "go", id: "id1" }]]);
    expect(pending.size()).toBe(1);
  });

  test("users hear their queried monitor come and go; re-querying moves the subscription", () => {
    const u = peer("u");
    relay.query("u", { monitor_id: "m1" });
    peer("a");
    relay.con("a", { monitor_id: "m1" });
    expect(u.take()).toEqual([["monitor online", { reason: Reason.online, monitor_id: "m1" }]]);
    relay.query("u", { monitor_id: "m2" });
    relay.leave("a");
    expect(u.take()).toEqual([]);
    peer("b");
    relay.con("b", { monitor_id: "m2" });
    relay.leave("b");
    expect(u.take().map(([e]) => e)).toEqual(["monitor online", "monitor offline"]);
  });
});

describe("monitor", () => {
  test("con: bad id or a taken id fails with a disconnect; the same socket may repeat its con", () => {
    peer("a");
    peer("b");
    expect(relay.con("a", { monitor_id: "no spaces" }).disconnect).toBe(true);
    expect(relay.con("a", { monitor_id: "m" })).toEqual({ event: "con ok", payload: { reason: "ok" } });
    expect(relay.con("a", { monitor_id: "m" }).event).toBe("con ok");
    expect(relay.con("a", { monitor_id: "other" })).toEqual({ event: "con failed", payload: { reason: Reason.otherId }, disconnect: true });
    expect(relay.con("b", { monitor_id: "m" })).toEqual({ event: "con failed", payload: { reason: "monitor_id already registered" }, disconnect: true });
    relay.leave("a");
    expect(relay.con("b", { monitor_id: "m" }).event).toBe("con ok");
    expect(relay.monitors()).toBe(1);
  });

  test("command done by id, without id (oldest first), and command error reach the right users", () => {
    const [u1, u2] = monitorWithUsers("u1", "u2") as [FakePeer, FakePeer];
    relay.commandSend("u1", { command: "a" }); // id1
    relay.commandSend("u2", { command: "b" }); // id2
    relay.commandSend("u1", { command: "c" }); // id3
    expect(relay.commandDone("m", { id: "id2" })).toEqual({ event: null, payload: { reason: "ok", id: "id2" } });
    expect(u2.take()).toEqual([["command finish", { reason: Reason.finished, id: "id2" }]]);
    relay.commandDone("m", undefined);
    expect(u1.take()).toEqual([["command finish", { reason: Reason.finished, id: "id1" }]]);
    relay.commandError("m", { reason: "jammed" });
    expect(u1.take()).toEqual([["command failed", { reason: "jammed", id: "id3" }]]);
    expect(relay.commandDone("m", {})).toEqual({ event: "error", payload: { reason: Reason.noCommand } });
    expect(relay.commandDone("m", { id: "id1" })).toEqual({ event: "error", payload: { reason: Reason.unknownId } });
    expect(pending.size()).toBe(0);
  });

  test("numeric ids are accepted; only a monitor may finish commands", () => {
    relay = new CommandRelay(new MemoryMonitorDirectory(), pending, () => String(++n));
    const u = peer("u");
    peer("m");
    relay.con("m", { monitor_id: "dev" });
    relay.query("u", { monitor_id: "dev" });
    relay.commandSend("u", { command: "a" });
    expect(relay.commandDone("u", { id: 1 })).toEqual({ event: "error", payload: { reason: Reason.notMonitor } });
    expect(relay.commandError("m", { id: 1, reason: 7 })).toEqual({ event: "error", payload: { reason: Reason.badPayload } });
    relay.commandError("m", { id: 1 });
    expect(u.take().at(-1)).toEqual(["command failed", { reason: "command error", id: "1" }]);
  });

  test("a monitor that leaves fails every unfinished command to its sender, once", () => {
    const [u, other] = monitorWithUsers("u", "other") as [FakePeer, FakePeer];
    relay.commandSend("u", { command: "a" });
    relay.commandSend("u", { command: "b" });
    relay.commandDone("m", { id: "id1" });
    u.take();
    other.take();
    relay.leave("m");
    expect(u.take()).toEqual([
      ["command failed", { reason: "monitor disconnected", id: "id2" }],
      ["monitor offline", { reason: "monitor disconnected", monitor_id: "dev" }],
    ]);
    expect(other.take()).toEqual([["monitor offline", { reason: "monitor disconnected", monitor_id: "dev" }]]);
    expect(pending.size()).toBe(0);
    expect(relay.monitors()).toBe(0);
  });

  test("a user that leaves takes its unfinished commands: out of the monitor's queue, their deliveries withdrawn; the others' stay", () => {
    monitorWithUsers("u", "other");
    const m = mon;
    relay.commandSend("u", { command: "a" });
    relay.commandSend("other", { command: "b" });
    relay.commandSend("u", { command: "c" });
    expect(pending.size()).toBe(3);
    relay.leave("u");
    expect(pending.size()).toBe(1);
    expect(pending.countFrom("u")).toBe(0);
    expect(m.withdrawn).toEqual([1, 3]); // "command do" a and c
    expect(relay.commandDone("m", { id: "id1" }).payload).toEqual({ reason: Reason.unknownId });
    expect(relay.commandDone("m", {}).payload).toEqual({ reason: "ok", id: "id2" }); // the oldest left is other's
  });
});

describe("caps on unfinished commands (docs/socketio.md#caps)", () => {
  beforeEach(() => {
    relay = new CommandRelay(new MemoryMonitorDirectory(), pending, () => `id${++n}`, { perMonitor: 3, perUser: 2 });
  });

  test("per user: past it command failed; a finished command frees a place", () => {
    const [u] = monitorWithUsers("u") as [FakePeer];
    expect(relay.commandSend("u", { command: "a" }).event).toBe("command ok");
    expect(relay.commandSend("u", { command: "b" }).event).toBe("command ok");
    expect(relay.commandSend("u", { command: "c" })).toEqual({ event: "command failed", payload: { reason: Reason.userBusy } });
    relay.commandDone("m", {});
    u.take();
    expect(relay.commandSend("u", { command: "d" }).event).toBe("command ok");
  });

  test("per monitor, whoever sent them: past it command failed; nothing was handed to the monitor", () => {
    monitorWithUsers("u", "v");
    const m = mon;
    relay.commandSend("u", { command: "a" });
    relay.commandSend("u", { command: "b" });
    relay.commandSend("v", { command: "c" });
    const before = m.delivered;
    expect(relay.commandSend("v", { command: "d" })).toEqual({ event: "command failed", payload: { reason: Reason.monitorBusy } });
    expect(m.delivered).toBe(before);
    relay.commandError("m", { id: "id1" });
    expect(relay.commandSend("v", { command: "e" }).event).toBe("command ok");
  });
});

describe("roles", () => {
  test("con without the monitor role is refused before the id is looked at: same answer for a held, a free and a bad id", () => {
    peer("holder");
    relay.con("holder", { monitor_id: "door" });
    peer("squatter", Role.user);
    const refused = { event: "con failed", payload: { reason: Reason.noMonitorRole }, disconnect: true, denied: true };
    for (const payload of [{ monitor_id: "door" }, { monitor_id: "free" }, { monitor_id: "not valid!" }, undefined]) expect(relay.con("squatter", payload)).toEqual(refused);
    expect(relay.monitors()).toBe(1);
    const u = peer("u", Role.user);
    relay.query("u", { monitor_id: "free" });
    expect(relay.commandSend("u", { command: "unlock door" }).payload.reason).toBe(Reason.offline);
    u.take();
  });

  test("query and command send without the user role: query failed + disconnect, command failed; both denied", () => {
    const m = peer("m", Role.monitor);
    expect(relay.query("m", { monitor_id: "x" })).toEqual({ event: "query failed", payload: { reason: Reason.noUserRole }, disconnect: true, denied: true });
    expect(relay.query("m", "garbage")).toEqual({ event: "query failed", payload: { reason: Reason.noUserRole }, disconnect: true, denied: true });
    expect(relay.commandSend("m", { command: "x" })).toEqual({ event: "command failed", payload: { reason: Reason.noUserRole }, denied: true });
    expect(relay.con("m", { monitor_id: "x" }).event).toBe("con ok");
    expect(m.take()).toEqual([]);
  });

  test("a monitor-only connection still finishes its commands; refusals of ordinary mistakes are not denials", () => {
    const m = peer("m", Role.monitor);
    const u = peer("u", Role.user);
    relay.con("m", { monitor_id: "dev" });
    relay.query("u", { monitor_id: "dev" });
    expect(relay.commandSend("u", { command: "go" }).event).toBe("command ok");
    expect(relay.commandDone("m", {})).toEqual({ event: null, payload: { reason: "ok", id: "id1" } });
    expect(u.take().at(-1)).toEqual(["command finish", { reason: Reason.finished, id: "id1" }]);
    expect(relay.con("u", {}).denied).toBe(true);
    expect(relay.query("u", {}).denied).toBeUndefined();
    m.take();
  });
});

test("every payload the relay emits has a reason string", () => {
  const peers = ["u", "m", "m2"].map((k) => peer(k));
  relay.query("u", { monitor_id: "dev" });
  relay.con("m", { monitor_id: "dev" });
  relay.commandSend("u", { command: "a" });
  relay.commandSend("u", { command: "b" });
  relay.commandDone("m", {});
  relay.commandError("m", { reason: "x" });
  relay.commandSend("u", { command: "c" });
  relay.leave("m");
  const all = peers.flatMap((p) => p.take());
  expect(all.length).toBeGreaterThan(5);
  for (const [, payload] of all) expect(typeof payload.reason).toBe("string");
});
