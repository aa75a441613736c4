// The relay with python-socketio 5.x peers (subprocesses) next to socket.io-client ones and raw
// frames (docs/socketio.md#clients): commands both ways on every transport, refusals, a killed
// peer, and idle peers across heartbeats.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ensurePythonSocketio, PyPeer } from "../../helpers/clients/python-socketio.ts";
import { connectWire, decodeFrame, ev, modes, SioTestClient, Wire } from "../../helpers/clients/socketio.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";

let s: TestServer;
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  ensurePythonSocketio();
  // Short heartbeat so a killed polling peer is noticed quickly even without a TCP reset.
  s = await bootServer({ sioPingIntervalMs: 500, sioPingTimeoutMs: 500 });
}, 300_000);
afterAll(async () => {
  for (const f of cleanup) f();
  await s.stop();
});

const py = (args: Parameters<typeof PyPeer.start>[0]) => {
  const p = PyPeer.start(args);
  cleanup.push(() => p.kill());
  return p;
};
const js = async (mode: "default" | "websocket" | "polling") => {
  const c = await SioTestClient.connect(s.http, mode);
  cleanup.push(() => c.close());
  return c;
};

describe("python-socketio", () => {
  test("python monitor (polling → websocket upgrade) serves a socket.io-client user", async () => {
    const m = py({ url: s.http, role: "monitor", monitorId: "py-mon", transport: "default" });
    expect(await m.next("connected")).toBe("websocket"); // upgraded from polling
    expect(await m.next("con ok")).toEqual({ reason: "ok" });
    const u = await js("polling");
    expect(await u.emitWithAck("query", { monitor_id: "py-mon" })).toEqual({ reason: "ok", online: true });
    for (let i = 0; i < 5; i++) {
      const ok = await u.emitWithAck("command send", { command: `cmd ${i}` });
      expect((await m.next("command do")).command).toBe(`cmd ${i}`);
      expect(await u.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
    }
    m.kill();
  }, 20_000);

  test("python user (websocket) drives a socket.io-client monitor (polling)", async () => {
    const m = await js("polling");
    m.emit("con", { monitor_id: "js-mon" });
    await m.next("con ok");
    m.socket.on("command do", (job: { id: string }) => m.emit("command done", { id: job.id }));
    const u = py({ url: s.http, role: "user", monitorId: "js-mon", transport: "websocket", count: 20 });
    expect(await u.next("connected")).toBe("websocket");
    expect(await u.next("query ack")).toEqual({ reason: "ok", online: true });
    expect(await u.next("summary", 20_000)).toEqual({ finished: 20 });
  }, 30_000);

  test("python user over polling, python monitor over websocket", async () => {
    const m = py({ url: s.http, role: "monitor", monitorId: "py-mon-2", transport: "websocket" });
    await m.next("con ok");
    const u = py({ url: s.http, role: "user", monitorId: "py-mon-2", transport: "polling", count: 10 });
    expect(await u.next("connected")).toBe("polling");
    expect(await u.next("summary", 20_000)).toEqual({ finished: 10 });
  }, 30_000);

  for (const transport of ["websocket", "polling"] as const) {
    test(`a python monitor (${transport}) killed mid-command fails its pending commands`, async () => {
      const id = `py-kill-${transport}`;
      const m = py({ url: s.http, role: "monitor", monitorId: id, transport });
      await m.next("con ok");
      const u = await js("websocket");
      await u.emitWithAck("query", { monitor_id: id });
      const ids: string[] = [];
      for (const command of ["hang 1", "hang 2", "hang 3"]) ids.push((await u.emitWithAck("command send", { command })).id);
      for (let i = 0; i < 3; i++) await m.next("command do");
      m.kill();
      const failed = [await u.next("command failed"), await u.next("command failed"), await u.next("command failed")];
      expect(failed).toEqual(ids.map((cid) => ({ reason: "monitor disconnected", id: cid })));
      expect(await u.next("monitor offline")).toEqual({ reason: "monitor disconnected", monitor_id: id });
      expect(u.take("command finish")).toEqual([]);
    }, 20_000);
  }
});

describe("real clients", () => {
  test("--sio-token: CONNECT_ERROR carries a message and a reason; python and socket.io-client, both roles", async () => {
    const t = await bootServer({ sioToken: "tok3n" });
    try {
      const w = await Wire.open(t.ws("/socket.io/?EIO=4&transport=websocket"));
      cleanup.push(() => w.close());
      await w.next();
      w.send('40{"token":"wrong"}');
      const refusal = (await w.next()) as string;
      expect(refusal.startsWith("44")).toBe(true);
      const payload = JSON.parse(refusal.slice(2));
      expect(payload.message).toEqual(expect.any(String));
      expect(payload.reason).toEqual(expect.any(String));
      expect(payload.data).toEqual({ reason: payload.reason });

      const err = await SioTestClient.connect(t.http, "websocket", { token: "nope" }).catch((e) => e);
      expect(err.message).toBe(payload.message);
      expect(err.data).toEqual({ reason: payload.reason });

      const refused = PyPeer.start({ url: t.http, role: "monitor", monitorId: "py-refused", transport: "websocket", token: "nope" });
      cleanup.push(() => refused.kill());
      expect(await refused.next("connect_error")).toMatchObject({ message: payload.message, reason: payload.reason });
      const pm = PyPeer.start({ url: t.http, role: "monitor", monitorId: "py-tok", transport: "polling", token: "tok3n" });
      cleanup.push(() => pm.kill());
      expect(await pm.next("con ok")).toEqual({ reason: "ok" });
      const pu = PyPeer.start({ url: t.http, role: "user", monitorId: "py-tok", transport: "websocket", count: 2, token: "tok3n" });
      cleanup.push(() => pu.kill());
      expect(await pu.next("query ack")).toEqual({ reason: "ok", online: true });
      expect(await pu.next("summary")).toEqual({ finished: 2 });
    } finally {
      await t.stop();
    }
  }, 30_000);

  for (const transport of ["polling", "websocket"] as const) {
    test(`python user (${transport}): a bad monitor_id gets query failed, then the server disconnects it`, async () => {
      const p = PyPeer.start({ url: s.http, role: "user", monitorId: "bad id!", transport });
      cleanup.push(() => p.kill());
      const failed = await p.next("query failed");
      expect(failed).toEqual({ reason: expect.any(String) });
      expect(await p.next("query ack")).toEqual(failed);
      expect(await p.next("disconnected")).toBe(true);
      await p.proc.exited;
    }, 20_000);
  }
});

/** A raw WebSocket session registered as a monitor under a fresh id. */
async function rawMonitor(): Promise<{ w: Wire; id: string }> {
  const id = `py-held-${Date.now()}`;
  const w = await connectWire(s.ws(""));
  cleanup.push(() => w.close());
  w.send(ev("con", { monitor_id: id }));
  expect((await w.packets(1)).map(decodeFrame)).toEqual([["event", "con ok", { reason: "ok" }]]); // after it: its recovery offset
  return { w, id };
}

test("python monitor with a taken id: con failed, then disconnected", async () => {
  const holder = await rawMonitor();
  const p = PyPeer.start({ url: s.http, role: "monitor", monitorId: holder.id, transport: "websocket" });
  cleanup.push(() => p.kill());
  expect(await p.next("con failed")).toEqual({ reason: "monitor_id already registered" });
  expect(await p.next("disconnected")).toBe(true);
  await p.proc.exited;
}, 20_000);

test("heartbeat 300/200: idle real clients of every kind stay connected and keep working", async () => {
  const t = await bootServer({ sioPingIntervalMs: 300, sioPingTimeoutMs: 200 });
  try {
    const pm = PyPeer.start({ url: t.http, role: "monitor", monitorId: "hb-py", transport: "polling" });
    cleanup.push(() => pm.kill());
    expect(await pm.next("con ok")).toEqual({ reason: "ok" });
    const users: SioTestClient[] = [];
    for (const mode of modes) {
      const u = await SioTestClient.connect(t.http, mode);
      cleanup.push(() => u.close());
      expect(await u.emitWithAck("query", { monitor_id: "hb-py" })).toEqual({ reason: "ok", online: true });
      users.push(u);
    }
    await Bun.sleep(1600); // several ping rounds with nothing else on the wire
    for (const u of users) {
      expect(u.disconnected).toBeNull();
      const ok = await u.emitWithAck("command send", { command: "still there?" });
      expect(await u.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
    }
  } finally {
    await t.stop();
  }
}, 30_000);
