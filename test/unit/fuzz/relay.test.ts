// Fuzzing the user/monitor relay's events (docs/socketio.md#events): whatever payloads four
// connections send, every reply and every event delivered is a documented event whose payload is
// an object with a `reason` string; `command ok` is given only with the monitor connected (it
// gets `command do` with the same id at once); and every accepted command ends exactly once for
// its sender, with `command finish` or `command failed`, by the time its monitor leaves.
import { describe, expect, test } from "bun:test";
import { CommandRelay, Role, type Payload, type RelayPeer } from "../../../src/protocols/socketio/state.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "../../../src/protocols/socketio/registry.ts";
import { check, fc, oddValue } from "./fuzz.ts";

/** Events the server emits (docs/socketio.md#events). */
const EVENTS = new Set(["query ok", "query failed", "command ok", "command failed", "command do", "command finish", "con ok", "con failed", "monitor online", "monitor offline", "error"]);
const HANDLERS = ["query", "command send", "con", "command done", "command error"] as const;

class Peer implements RelayPeer {
  readonly got: Array<[string, Payload]> = [];
  constructor(readonly id: string) {}
  emit(event: string, payload: Payload): void {
    this.got.push([event, payload]);
  }
  deliver(event: string, payload: Payload): void {
    this.got.push([event, payload]);
  }
}

const monitorId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("m1", "m2") }, { weight: 1, arbitrary: fc.constantFrom("bad id", "", "x".repeat(65)) });
const payloadFor: Record<(typeof HANDLERS)[number], fc.Arbitrary<unknown>> = {
  query: monitorId.map((m) => ({ monitor_id: m })),
  con: monitorId.map((m) => ({ monitor_id: m })),
  "command send": fc.oneof(fc.string({ maxLength: 20 }), fc.constant("x".repeat(4097))).map((c) => ({ command: c })),
  "command done": fc.oneof(fc.record({ id: fc.constantFrom("p-1", "p-2", "p-3", 1, "nope") }, { requiredKeys: [] }), fc.constantFrom(null, undefined)),
  // Without a payload (an emit with no argument) or with null, too.
  "command error": fc.oneof(fc.record({ reason: fc.string({ maxLength: 10 }), id: fc.constantFrom("p-1", "p-2", "p-3", 2) }, { requiredKeys: [] }), fc.constantFrom(null, undefined)),
};
/** One step: a connection calls a handler with a valid-shaped payload, or any JSON value at all. */
const step = fc.tuple(fc.nat({ max: 3 }), fc.constantFrom(...HANDLERS, "command send", "command send")).chain(([who, h]) =>
  fc.tuple(fc.constant(who), fc.constant(h), fc.oneof({ weight: 3, arbitrary: payloadFor[h] }, { weight: 1, arbitrary: oddValue })),
);

describe("relay event fuzz", () => {
  test("documented events with a reason; ok only when delivered; every accepted command ends once", () => {
    check("relay events", fc.tuple(fc.array(step, { minLength: 5, maxLength: 30 }), fc.array(fc.constantFrom(Role.both, Role.both, Role.user, Role.monitor), { minLength: 4, maxLength: 4 })), ([steps, roles]) => {
      let seq = 0;
      const relay = new CommandRelay(new MemoryMonitorDirectory(), new MemoryPendingCommands(), () => `p-${++seq}`);
      let tick = 0;
      /** When each connection left (the relay's leave), in steps. */
      const left = new Map<Peer, number>();
      const all: Peer[] = [];
      const connect = (i: number) => {
        const p = new Peer(`k${i}.${all.length}`);
        all.push(p);
        relay.join(p, roles[i]);
        return p;
      };
      const peers = [0, 1, 2, 3].map(connect);
      // Usually a monitor and a user of it to begin with (refused when the roles do not allow it).
      relay.con(peers[0]!.id, { monitor_id: "m1" });
      relay.query(peers[1]!.id, { monitor_id: "m1" });
      /** Accepted command id → its sender and the monitor it was delivered to. */
      const accepted = new Map<string, [Peer, Peer]>();
      for (const [who, handler, payload] of steps) {
        tick++;
        const p = peers[who]!;
        const before = all.map((q) => q.got.length);
        const call = { query: relay.query, "command send": relay.commandSend, con: relay.con, "command done": relay.commandDone, "command error": relay.commandError }[handler];
        const reply = call.call(relay, p.id, payload);
        expect(reply.event === null || EVENTS.has(reply.event)).toBe(true);
        expect(typeof reply.payload.reason).toBe("string");
        if (reply.event === "command ok") {
          const id = reply.payload.id as string;
          expect(accepted.has(id)).toBe(false);
          // Never a false ok: exactly one monitor got the command, in this same call.
          const to = all.filter((q, i) => q.got.slice(before[i]).some(([e, pl]) => e === "command do" && pl.id === id));
          expect(to.length).toBe(1);
          accepted.set(id, [p, to[0]!]);
        }
        if (reply.event) p.emit(reply.event, reply.payload);
        if (reply.disconnect) {
          // As the plugin does after query failed / con failed: the socket goes, a new one comes.
          relay.leave(p.id);
          left.set(p, tick);
          peers[who] = connect(who);
        }
      }
      // Everyone leaves, in index order: a monitor's unfinished commands fail to users still here.
      for (const p of peers) {
        relay.leave(p.id);
        left.set(p, ++tick);
      }
      expect(relay.pendingCommands()).toBe(0);
      expect(relay.monitors()).toBe(0);
      for (const p of all) for (const [e, pl] of p.got) {
        expect(EVENTS.has(e)).toBe(true);
        expect(typeof pl.reason).toBe("string");
      }
      for (const [id, [user, monitor]] of accepted) {
        const ends = user.got.filter(([e, pl]) => (e === "command finish" || e === "command failed") && pl.id === id).length;
        // None only when the sender had left by the time its monitor did (a user that left gets nothing).
        expect(ends).toBe(ends === 0 && left.get(user)! <= left.get(monitor)! ? 0 : 1);
      }
    }, { runs: 800 });
  });
});
