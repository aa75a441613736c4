// The relay's `monitors` extension (docs/socketio.md#monitor-list) on the pure CommandRelay with
// fake peers: who is online, sorted, with unfinished commands; the user role; the cap.
import { beforeEach, describe, expect, test } from "bun:test";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "../../../src/protocols/socketio/registry.ts";
import { CommandRelay, MAX_LISTED_MONITORS, Role, type Payload, type RelayPeer, type Roles } from "../../../src/protocols/socketio/state.ts";

class FakePeer implements RelayPeer {
  readonly got: Array<[string, Payload]> = [];
  constructor(readonly id: string) {}
  emit(event: string, payload: Payload): void {
    this.got.push([event, payload]);
  }
  deliver(event: string, payload: Payload): void {
    this.got.push([event, payload]);
  }
}

let relay: CommandRelay;
let n = 0;
const join = (key: string, roles?: Roles) => relay.join(new FakePeer(key), roles);
beforeEach(() => {
  relay = new CommandRelay(new MemoryMonitorDirectory(), new MemoryPendingCommands(), () => `c${++n}`);
});

describe("monitors", () => {
  test("lists online monitors by id with their unfinished commands; a monitor that leaves is gone", () => {
    join("u");
    expect(relay.listMonitors("u")).toEqual({ event: "monitors ok", payload: { reason: Reason.ok, monitors: [], total: 0 } });
    for (const [key, id] of [["m1", "pump"], ["m2", "greenhouse-2"], ["m3", "Attic"]]) {
      join(key!);
      expect(relay.con(key!, { monitor_id: id }).event).toBe("con ok");
    }
    relay.query("u", { monitor_id: "pump" });
    relay.commandSend("u", { command: "on" });
    relay.commandSend("u", { command: "off" });
    expect(relay.listMonitors("u").payload).toEqual({
      reason: "ok",
      monitors: [
        { monitor_id: "Attic", pending: 0 },
        { monitor_id: "greenhouse-2", pending: 0 },
        { monitor_id: "pump", pending: 2 },
      ],
      total: 3,
    });
    relay.commandDone("m1", {});
    relay.leave("m2");
    expect(relay.listMonitors("u").payload.monitors).toEqual([
      { monitor_id: "Attic", pending: 0 },
      { monitor_id: "pump", pending: 1 },
    ]);
  });

  test("needs the user role: refused as a failed auth attempt, nothing else changes", () => {
    join("monitor-only", Role.monitor);
    expect(relay.listMonitors("monitor-only")).toEqual({ event: "monitors failed", payload: { reason: Reason.noUserRole }, denied: true });
  });

  test(`at most ${MAX_LISTED_MONITORS} listed; total counts them all`, () => {
    join("u");
    for (let i = 0; i < MAX_LISTED_MONITORS + 5; i++) {
      join(`m${i}`);
      relay.con(`m${i}`, { monitor_id: `dev-${String(i).padStart(5, "0")}` });
    }
    const { payload } = relay.listMonitors("u");
    expect((payload.monitors as unknown[]).length).toBe(MAX_LISTED_MONITORS);
    expect(payload.total).toBe(MAX_LISTED_MONITORS + 5);
    expect((payload.monitors as { monitor_id: string }[])[0]!.monitor_id).toBe("dev-00000");
  });
});
