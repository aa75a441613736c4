// Access control of the relay with python-socketio 5.x clients (docs/socketio.md#access-control):
// the squatter is refused, each role works with its own token, and refusals are counted. The same
// rules with socket.io-client: test/integration/socketio/auth.test.ts and auth-throttle.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Reason } from "../../../src/protocols/socketio/errors.ts";
import { cleanup, client, failuresMetric, refusedConnect, withServer } from "../../integration/socketio/auth-helpers.ts";
import { ensurePythonSocketio, PyPeer } from "../../helpers/clients/python-socketio.ts";

beforeAll(() => ensurePythonSocketio(), 300_000);
afterAll(() => {
  for (const f of cleanup.splice(0)) f();
});
function py(args: Parameters<typeof PyPeer.start>[0]): PyPeer {
  const p = PyPeer.start(args);
  cleanup.push(() => p.kill());
  return p;
}

describe("a monitor id cannot be squatted (--sio-monitor-token)", () => {
  test("python-socketio: the squatter is refused; a monitor with the token serves a python user", () =>
    withServer({ sioMonitorToken: "mon-secret" }, async (t) => {
      const squatter = py({ url: t.http, role: "monitor", monitorId: "py-door", transport: "websocket" });
      expect(await squatter.next("con failed")).toEqual({ reason: Reason.noMonitorRole });
      expect(await squatter.next("disconnected")).toBe(true);
      const monitor = py({ url: t.http, role: "monitor", monitorId: "py-door", transport: "polling", token: "mon-secret" });
      expect(await monitor.next("con ok")).toEqual({ reason: "ok" });
      const user = py({ url: t.http, role: "user", monitorId: "py-door", transport: "websocket", count: 3 });
      expect(await user.next("query ack")).toEqual({ reason: "ok", online: true });
      expect(await user.next("summary")).toEqual({ finished: 3 });
    }), 30_000);
});

describe("separate tokens for monitors and users", () => {
  test("python-socketio monitor and user with their tokens; a python user with the monitor token is refused", () =>
    withServer({ sioMonitorToken: "M-tok", sioUserToken: "U-tok" }, async (t) => {
      const monitor = py({ url: t.http, role: "monitor", monitorId: "py-dev", transport: "polling", token: "M-tok" });
      expect(await monitor.next("con ok")).toEqual({ reason: "ok" });
      const user = py({ url: t.http, role: "user", monitorId: "py-dev", transport: "default", count: 4, token: "U-tok" });
      expect(await user.next("query ack")).toEqual({ reason: "ok", online: true });
      expect(await user.next("summary")).toEqual({ finished: 4 });
      const wrong = py({ url: t.http, role: "user", monitorId: "py-dev", transport: "websocket", count: 1, token: "M-tok" });
      expect(await wrong.next("query failed")).toEqual({ reason: Reason.noUserRole });
      expect(await wrong.next("disconnected")).toBe(true);
      const neither = py({ url: t.http, role: "user", monitorId: "py-dev", transport: "polling", token: "nope" });
      expect(await neither.next("connect_error")).toMatchObject({ message: Reason.badToken, reason: Reason.badToken });
    }), 30_000);
});

describe("token guessing is throttled per client address", () => {
  test("/metrics lists switchboard_auth_failures_total as a counter from the start", () =>
    withServer({ sioToken: "right" }, async (t) => {
      const text = await (await fetch(t.http + "/metrics")).text();
      expect(text).toContain("# TYPE switchboard_auth_failures_total counter");
      expect(text.match(/^# HELP switchboard_auth_failures_total /gm)?.length).toBe(1);
      expect(await failuresMetric(t)).toBe(0);
      refusedConnect(await client(t, "websocket", "wrong").catch((e) => e));
      const p = py({ url: t.http, role: "monitor", monitorId: "m", transport: "websocket", token: "wrong" });
      await p.next("connect_error");
      expect(await failuresMetric(t)).toBe(2);
    }), 20_000);
});
