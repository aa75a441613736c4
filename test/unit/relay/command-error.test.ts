// `command error` without a payload, or with null, fails the monitor's oldest command like `{}`
// does (docs/socketio.md#events). Found by the relay fuzzing (test/unit/fuzz/relay.test.ts): the
// handler took the command and then threw reading the reason, so the monitor was closed with 1011
// and the user never heard of its command again.
import { describe, expect, test } from "bun:test";
import { CommandRelay, Role, type Payload, type RelayPeer } from "../../../src/protocols/socketio/state.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "../../../src/protocols/socketio/registry.ts";

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

describe("command error without a payload", () => {
  for (const payload of [null, undefined]) {
    test(`payload ${payload}: the user gets command failed, the monitor's ack gets ok`, () => {
      let n = 0;
      const relay = new CommandRelay(new MemoryMonitorDirectory(), new MemoryPendingCommands(), () => `c${++n}`);
      const monitor = new Peer("m");
      const user = new Peer("u");
      relay.join(monitor, Role.both);
      relay.join(user, Role.both);
      relay.con("m", { monitor_id: "screen" });
      relay.query("u", { monitor_id: "screen" });
      expect(relay.commandSend("u", { command: "reboot" }).event).toBe("command ok");
      expect(relay.commandError("m", payload)).toEqual({ event: null, payload: { reason: "ok", id: "c1" } });
      expect(user.got).toContainEqual(["command failed", { reason: "command error", id: "c1" }]);
      expect(relay.pendingCommands()).toBe(0);
    });
  }
});
