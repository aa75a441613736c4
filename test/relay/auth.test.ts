// Access control of the relay against the real server (docs/socketio.md#access-control): the
// attacks (a squatter taking a monitor id, token guessing at full speed, credentialed CORS for any
// origin) are refused; monitors and users with their tokens (socket.io-client, python-socketio)
// still work. Every test boots its own server: the throttle keys on the client address, and all
// clients here come from 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config.ts";
import { Reason } from "../../src/protocols/relay/relay.ts";
import { Wire } from "../conformance/wire.ts";
import { bootServer, type TestServer } from "../helpers/server.ts";
import { ensurePythonSocketio, PyPeer } from "./python.ts";
import { modes, SioTestClient, type Mode } from "./sio-client.ts";

const cleanup: Array<() => void> = [];
beforeAll(() => ensurePythonSocketio(), 300_000);
afterAll(() => {
  for (const f of cleanup) f();
});

/** A server for one test, stopped at its end. */
async function withServer(config: Partial<Config>, fn: (t: TestServer) => Promise<void>): Promise<void> {
  const t = await bootServer(config);
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}
async function client(t: TestServer, mode: Mode, token?: string): Promise<SioTestClient> {
  const c = await SioTestClient.connect(t.http, mode, token === undefined ? undefined : { token });
  cleanup.push(() => c.close());
  return c;
}
function py(args: Parameters<typeof PyPeer.start>[0]): PyPeer {
  const p = PyPeer.start(args);
  cleanup.push(() => p.kill());
  return p;
}
async function failuresMetric(t: TestServer): Promise<number> {
  const text = await (await fetch(t.http + "/metrics")).text();
  const m = /^switchboard_auth_failures_total\{protocol="socketio"\} (\d+)$/m.exec(text);
  if (!m) throw new Error("no switchboard_auth_failures_total in /metrics");
  return Number(m[1]);
}
/** A raw WebSocket session with its open packet consumed (no namespace joined yet). */
async function rawSession(t: TestServer): Promise<Wire> {
  const w = await Wire.open(t.ws("/socket.io/?EIO=4&transport=websocket"));
  cleanup.push(() => w.close());
  expect(((await w.next()) as string)[0]).toBe("0");
  return w;
}
const refusedConnect = (err: any) => {
  expect(err.message).toBe(Reason.badToken);
  expect(err.data).toEqual({ reason: Reason.badToken });
};

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
  test("one socket flooding CONNECTs with guesses gets six answers, not thousands; each is the normal refusal", () =>
    withServer({ sioToken: "right" }, async (t) => {
      const w = await rawSession(t);
      const sent = Date.now();
      for (let i = 0; i < 500; i++) w.send(`40{"token":"guess-${i}"}`);
      const answers: Array<{ frame: string; at: number }> = [];
      for (let i = 0; i < 6; i++) answers.push({ frame: (await w.next()) as string, at: Date.now() - sent });
      for (const a of answers) expect(JSON.parse(a.frame.slice(2))).toEqual({ message: Reason.badToken, reason: Reason.badToken, data: { reason: Reason.badToken } });
      // Five failures are free; the sixth attempt waits 250 ms; the rest arrived while it waited.
      expect(answers[5]!.at).toBeGreaterThanOrEqual(240);
      expect(await w.drain(400)).toEqual([]);
      expect(await failuresMetric(t)).toBe(6);
    }));

  test("sessions opened in parallel are answered one wait apart; polling and WebSocket count as the same address", () =>
    withServer({ sioToken: "right" }, async (t) => {
      for (let i = 0; i < 5; i++) refusedConnect(await client(t, "polling", `guess-${i}`).catch((e) => e));
      const sessions = await Promise.all(Array.from({ length: 6 }, () => rawSession(t)));
      const sent = Date.now();
      for (const w of sessions) w.send('40{"token":"guess"}');
      const at = await Promise.all(sessions.map(async (w) => ((await w.next(5000)) as string).startsWith("44") && Date.now() - sent));
      // At five failures a wait is 250 ms; answers come one wait after the other, not together.
      const sorted = (at as number[]).sort((a, b) => a - b);
      sorted.forEach((ms, k) => expect(ms).toBeGreaterThanOrEqual(250 * (k + 1) - 10));
      expect(await failuresMetric(t)).toBe(11);
    }), 20_000);

  test("the right token from a throttled address still gets in after the wait; con waits too", () =>
    withServer({ sioMonitorToken: "M-tok" }, async (t) => {
      for (let i = 0; i < 5; i++) {
        const squatter = await client(t, "websocket");
        expect(await squatter.emitWithAck("con", { monitor_id: "target" })).toEqual({ reason: Reason.noMonitorRole });
      }
      let start = Date.now();
      const monitor = await client(t, "polling", "M-tok");
      expect(Date.now() - start).toBeGreaterThanOrEqual(240);
      start = Date.now();
      expect(await monitor.emitWithAck("con", { monitor_id: "target" })).toEqual({ reason: "ok" });
      expect(Date.now() - start).toBeGreaterThanOrEqual(240);
      const user = await client(t, "websocket");
      await user.emitWithAck("query", { monitor_id: "target" });
      const ok = await user.emitWithAck("command send", { command: "unlock door" });
      expect(await monitor.next("command do")).toEqual({ reason: expect.any(String), command: "unlock door", id: ok.id });
      expect(await failuresMetric(t)).toBe(5);
    }), 20_000);

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

  test("without any token nothing is refused, counted or delayed", () =>
    withServer({}, async (t) => {
      const m = await client(t, "websocket", "anything");
      expect(await m.emitWithAck("con", { monitor_id: "open" })).toEqual({ reason: "ok" });
      const u = await client(t, "polling");
      expect(await u.emitWithAck("query", { monitor_id: "open" })).toEqual({ reason: "ok", online: true });
      expect(await failuresMetric(t)).toBe(0);
    }));
});

describe("CORS on the relay's polling transport", () => {
  test("the default answers '*' to any origin and never allows credentials (no reflected origin)", () =>
    withServer({}, async (t) => {
      const r = await fetch(`${t.http}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "https://evil.example", cookie: "session=1" } });
      expect(r.status).toBe(200);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(r.headers.get("access-control-allow-credentials")).toBeNull();
    }));

  test("with --cors-origin, only the listed origin gets its name and credentials back", () =>
    withServer({ corsOrigin: ["https://console.example"] }, async (t) => {
      const url = `${t.http}/socket.io/?EIO=4&transport=polling`;
      const listed = await fetch(url, { headers: { origin: "https://console.example" } });
      expect(listed.headers.get("access-control-allow-origin")).toBe("https://console.example");
      expect(listed.headers.get("access-control-allow-credentials")).toBe("true");
      const evil = await fetch(url, { headers: { origin: "https://evil.example" } });
      expect(evil.headers.get("access-control-allow-origin")).toBeNull();
      expect(evil.headers.get("access-control-allow-credentials")).toBeNull();
    }));
});
