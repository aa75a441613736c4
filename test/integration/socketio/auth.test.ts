// Access control of the relay against the real server (docs/socketio.md#access-control): a
// squatter cannot take a monitor id, each role works with its own token and only with it, with
// socket.io-client in every transport mode (with python-socketio: test/system/socketio/python-auth.test.ts).
import { describe, expect, test } from "bun:test";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import { client, failuresMetric, refusedConnect, useAuthTests, withServer } from "./auth-helpers.ts";
import { modes } from "../../helpers/clients/socketio.ts";

useAuthTests();

describe("a monitor id cannot be squatted (--sio-monitor-token)", () => {
  test("a squatter's con is refused whatever the transport; the real monitor registers and receives the user's command", () =>
    withServer({ sioMonitorToken: "mon-secret" }, async (t) => {
      for (const mode of modes) {
        const squatter = await client(t, mode); // no token: only the (open) user role
        squatter.emit("con", { monitor_id: "front-door" });
        expect(await squatter.next("con failed")).toEqual({ reason: Reason.noMonitorRole });
        expect(await squatter.next("disconnect")).toBe("io server disconnect");
      }
      const wrong = await client(t, "polling", "guess");
      expect(await wrong.emitWithAck("con", { monitor_id: "front-door" })).toEqual({ reason: Reason.noMonitorRole });

      const monitor = await client(t, "websocket", "mon-secret");
      expect(await monitor.emitWithAck("con", { monitor_id: "front-door" })).toEqual({ reason: "ok" });
      const user = await client(t, "default");
      expect(await user.emitWithAck("query", { monitor_id: "front-door" })).toEqual({ reason: "ok", online: true });
      const ok = await user.emitWithAck("command send", { command: "unlock door" });
      expect(await monitor.next("command do")).toEqual({ reason: expect.any(String), command: "unlock door", id: ok.id });
      monitor.emit("command done", { id: ok.id });
      expect(await user.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
      expect(await failuresMetric(t)).toBe(4);
    }));

  test("the refusal comes before the id is looked at: a held, a free and a malformed id get the same answer", () =>
    withServer({ sioMonitorToken: "mon-secret" }, async (t) => {
      const holder = await client(t, "websocket", "mon-secret");
      expect(await holder.emitWithAck("con", { monitor_id: "held" })).toEqual({ reason: "ok" });
      const answers: unknown[] = [];
      for (const monitor_id of ["held", "free", "not an id!"]) {
        const c = await client(t, "websocket");
        answers.push(await c.emitWithAck("con", { monitor_id }));
      }
      expect(answers).toEqual([{ reason: Reason.noMonitorRole }, { reason: Reason.noMonitorRole }, { reason: Reason.noMonitorRole }]);
      // The free id stayed free: the real monitor takes it.
      const other = await client(t, "polling", "mon-secret");
      expect(await other.emitWithAck("con", { monitor_id: "free" })).toEqual({ reason: "ok" });
    }));

  test("a held id stays with its holder, even against the right token", () =>
    withServer({ sioMonitorToken: "mon-secret" }, async (t) => {
      const holder = await client(t, "websocket", "mon-secret");
      expect(await holder.emitWithAck("con", { monitor_id: "lock" })).toEqual({ reason: "ok" });
      const second = await client(t, "polling", "mon-secret");
      expect(await second.emitWithAck("con", { monitor_id: "lock" })).toEqual({ reason: Reason.taken });
      expect(await second.next("disconnect")).toBe("io server disconnect");
      const user = await client(t, "websocket");
      await user.emitWithAck("query", { monitor_id: "lock" });
      await user.emitWithAck("command send", { command: "unlock door" });
      expect((await holder.next("command do")).command).toBe("unlock door");
      expect(await failuresMetric(t)).toBe(0); // a taken id is not an auth failure
    }));
});

describe("separate tokens for monitors and users", () => {
  test("socket.io-client, every transport: each role works with its own token and only with it", () =>
    withServer({ sioMonitorToken: "M-tok", sioUserToken: "U-tok" }, async (t) => {
      for (const mode of modes) {
        const monitor = await client(t, mode, "M-tok");
        const id = `dev-${mode}`;
        expect(await monitor.emitWithAck("con", { monitor_id: id })).toEqual({ reason: "ok" });
        monitor.socket.on("command do", (job: { id: string }) => monitor.emit("command done", { id: job.id }));
        const user = await client(t, mode, "U-tok");
        expect(await user.emitWithAck("query", { monitor_id: id })).toEqual({ reason: "ok", online: true });
        const ok = await user.emitWithAck("command send", { command: "light on" });
        expect(await user.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
      }
      // The monitor token does not make a user, nor the user token a monitor.
      const m = await client(t, "websocket", "M-tok");
      expect(await m.emitWithAck("command send", { command: "x" })).toEqual({ reason: Reason.noUserRole });
      expect(m.disconnected).toBeNull();
      expect(await m.emitWithAck("query", { monitor_id: "dev-websocket" })).toEqual({ reason: Reason.noUserRole });
      expect(await m.next("disconnect")).toBe("io server disconnect");
      const u = await client(t, "polling", "U-tok");
      expect(await u.emitWithAck("con", { monitor_id: "dev-new" })).toEqual({ reason: Reason.noMonitorRole });
      expect(await u.next("disconnect")).toBe("io server disconnect");
      // Neither token: refused at CONNECT.
      for (const token of [undefined, "", "M-tok ", "u-tok"]) refusedConnect(await client(t, "websocket", token).catch((e) => e));
      expect(await failuresMetric(t)).toBe(3 + 4);
    }), 30_000);

  test("--sio-token sets both; an explicit role token wins over it", () =>
    withServer({ sioToken: "shared", sioUserToken: "U-tok" }, async (t) => {
      const monitor = await client(t, "websocket", "shared");
      expect(await monitor.emitWithAck("con", { monitor_id: "both" })).toEqual({ reason: "ok" });
      const user = await client(t, "websocket", "U-tok");
      expect(await user.emitWithAck("query", { monitor_id: "both" })).toEqual({ reason: "ok", online: true });
      const stale = await client(t, "websocket", "shared"); // the shared token no longer makes a user
      expect(await stale.emitWithAck("query", { monitor_id: "both" })).toEqual({ reason: Reason.noUserRole });
    }));
});
