// The caps of /socket.io/ against the real server (docs/socketio.md#caps): Engine.IO sessions per
// client address (429, behind a trusted proxy per forwarded client), a polling session whose client
// does not come back for its next GET within pingTimeout, and the relay's unfinished commands per
// monitor and per user (command failed); a user that leaves takes its commands with it.
import { afterEach, describe, expect, test } from "bun:test";
import { Polling, SioTestClient, type Mode } from "../../helpers/clients/socketio.ts";
import { upgradeStatus } from "../../helpers/raw-socket.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";

const WS_PATH = "/socket.io/?EIO=4&transport=websocket";
let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
async function server(overrides: Parameters<typeof bootServer>[0]): Promise<TestServer> {
  const s = await bootServer(overrides);
  cleanup.push(() => s.stop());
  return s;
}
async function client(s: TestServer, mode: Mode = "websocket"): Promise<SioTestClient> {
  const c = await SioTestClient.connect(s.http, mode);
  cleanup.push(() => c.close());
  return c;
}
const sessions = async (s: TestServer): Promise<number> => ((await (await fetch(`${s.http}/healthz`)).json()) as any).connections.socketio;
const metric = async (s: TestServer, name: string): Promise<number> => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(await (await fetch(`${s.http}/metrics`)).text())?.[1] ?? NaN);

describe("Engine.IO sessions per client address (--sio-sessions-per-ip)", () => {
  test("past it a handshake gets 429 with Engine.IO's error and retry-after, on either transport; a closed session frees its place", async () => {
    const s = await server({ sioSessionsPerIp: 3 });
    const p = new Polling(s.http);
    await p.open();
    await p.open();
    const ws = await client(s, "websocket"); // sessions count whatever their transport
    const refused = await fetch(p.url());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({ code: 4, message: "Forbidden", context: { message: "too many sessions from 127.0.0.1 (at most 3)" } });
    expect(await upgradeStatus(s.port, WS_PATH)).toBe(429);
    await expect(SioTestClient.connect(s.http, "polling")).rejects.toThrow();
    ws.close();
    await waitFor(async () => (await sessions(s)) === 2, { what: "the WebSocket session to end" });
    expect((await fetch(p.url())).status).toBe(200);
  });

  test("behind a trusted proxy each forwarded client has its own share; without one, X-Forwarded-For is ignored", async () => {
    const s = await server({ sioSessionsPerIp: 1, trustedProxies: ["127.0.0.1"] });
    const as = (ip: string) => fetch(new Polling(s.http).url(), { headers: { "x-forwarded-for": ip } });
    expect((await as("198.51.100.1")).status).toBe(200);
    expect((await as("198.51.100.1")).status).toBe(429);
    expect((await as("198.51.100.2")).status).toBe(200);
    expect(await upgradeStatus(s.port, WS_PATH, { "x-forwarded-for": "198.51.100.1" })).toBe(429);
    const direct = await server({ sioSessionsPerIp: 1 });
    expect((await fetch(new Polling(direct.http).url(), { headers: { "x-forwarded-for": "198.51.100.1" } })).status).toBe(200);
    expect((await fetch(new Polling(direct.http).url(), { headers: { "x-forwarded-for": "198.51.100.2" } })).status).toBe(429); // both are 127.0.0.1
  });
});

describe("polling sessions whose client does not come back", () => {
  test("a handshake never followed by a GET is gone within pingTimeout (not after pingInterval + pingTimeout)", async () => {
    const s = await server({ sioPingIntervalMs: 25_000, sioPingTimeoutMs: 300 });
    const p = new Polling(s.http);
    const opened = Array.from({ length: 50 }, () => p.open());
    const sids = (await Promise.all(opened)).map((o) => o.sid);
    expect(await sessions(s)).toBe(50);
    await waitFor(async () => (await sessions(s)) === 0, { timeoutMs: 3000, what: "the unused sessions to expire" });
    const r = await p.get(sids[0]!);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ code: 1, message: "Session ID unknown" });
  });

  test("a client that keeps polling stays, well past pingTimeout, and its events go through", async () => {
    const s = await server({ sioPingIntervalMs: 200, sioPingTimeoutMs: 200 });
    const c = await client(s, "polling");
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) expect(await c.emitWithAck("query", { monitor_id: "m" })).toEqual({ reason: "ok", online: false });
    expect(c.disconnected).toBeNull();
    expect(c.transport).toBe("polling");
  });
});

describe("unfinished commands per monitor and per user", () => {
  async function setup(overrides: Parameters<typeof bootServer>[0]) {
    const s = await server(overrides);
    const m = await client(s);
    m.emit("con", { monitor_id: "busy" });
    expect(await m.next("con ok")).toEqual({ reason: "ok" });
    const user = async () => {
      const u = await client(s);
      expect(await u.emitWithAck("query", { monitor_id: "busy" })).toEqual({ reason: "ok", online: true });
      return u;
    };
    return { s, m, user };
  }

  test("per user (--sio-pending-per-user): past it command failed {reason}, and the monitor is not handed it; a finished command frees a place", async () => {
    const { m, user } = await setup({ sioPendingPerUser: 2 });
    const u = await user();
    expect((await u.emitWithAck("command send", { command: "a" })).reason).toBe("ok");
    expect((await u.emitWithAck("command send", { command: "b" })).reason).toBe("ok");
    expect(await u.emitWithAck("command send", { command: "c" })).toEqual({ reason: "too many unfinished commands: wait for some to finish" });
    expect(await u.next("command failed")).toEqual({ reason: "too many unfinished commands: wait for some to finish" });
    const other = await user();
    expect((await other.emitWithAck("command send", { command: "d" })).reason).toBe("ok"); // the cap is the user's, not the monitor's
    m.emit("command done", {});
    await u.next("command finish");
    expect((await u.emitWithAck("command send", { command: "e" })).reason).toBe("ok");
    const dos: any[] = [];
    await waitFor(() => dos.push(...m.take("command do")) >= 4, { what: "4 command do" });
    expect(dos.map((d) => d.command)).toEqual(["a", "b", "d", "e"]); // never "c"
  });

  test("per monitor (--sio-pending-per-monitor): past it command failed {reason} whoever sends it", async () => {
    const { m, user } = await setup({ sioPendingPerMonitor: 3 });
    const [a, b] = [await user(), await user()];
    for (const cmd of ["1", "2"]) expect((await a.emitWithAck("command send", { command: cmd })).reason).toBe("ok");
    expect((await b.emitWithAck("command send", { command: "3" })).reason).toBe("ok");
    expect(await b.emitWithAck("command send", { command: "4" })).toEqual({ reason: "too many unfinished commands for this monitor" });
    expect(await a.emitWithAck("command send", { command: "5" })).toEqual({ reason: "too many unfinished commands for this monitor" });
    const dos: any[] = [];
    await waitFor(() => dos.push(...m.take("command do")) >= 3, { what: "3 command do" });
    expect(dos.map((d) => d.command)).toEqual(["1", "2", "3"]);
  });

  test("a user that leaves takes its unfinished commands: out of the monitor's queue, gone from the gauge", async () => {
    const { s, m, user } = await setup({});
    const leaves = await user();
    const stays = await user();
    const gone = await leaves.emitWithAck("command send", { command: "left behind" });
    const kept = await stays.emitWithAck("command send", { command: "still wanted" });
    expect(await metric(s, "switchboard_socketio_pending_commands")).toBe(2);
    leaves.close();
    await waitFor(async () => (await metric(s, "switchboard_socketio_pending_commands")) === 1, { what: "the leaver's command dropped" });
    expect(await m.emitWithAck("command done", { id: gone.id })).toEqual({ reason: "unknown command id" });
    expect(await m.emitWithAck("command done", {})).toEqual({ reason: "ok", id: kept.id }); // the oldest left is the other user's
    expect(await stays.next("command finish")).toEqual({ reason: expect.any(String), id: kept.id });
  });
});
