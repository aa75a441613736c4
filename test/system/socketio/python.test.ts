// The relay with python-socketio 5.x peers (subprocesses) next to socket.io-client ones.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { ensurePythonSocketio, PyPeer } from "../../helpers/clients/python-socketio.ts";
import { SioTestClient } from "../../helpers/clients/socketio-client.ts";

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
