// Connection state recovery end to end (docs/socketio.md#connection-state-recovery): real
// socket.io-client 4.8 users and monitors against the real server, their transports killed with
// `socket.io.engine.close()` while commands are in flight, in every transport mode.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { io, type Socket } from "socket.io-client";
import { RECOVERY_BOUNDS } from "../../../src/socketio/mount.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { modes, type Mode } from "../../helpers/clients/socketio.ts";
import { waitFor } from "../../helpers/wait.ts";

const transportsFor = (mode: Mode) => (mode === "websocket" ? ["websocket"] : mode === "polling" ? ["polling"] : ["polling", "websocket"]);

/** Waits for a condition (never a fixed sleep); fails with `what` and the peers' state. */
async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** A socket.io-client that reconnects on its own (as applications run it) and records everything. */
class Peer {
  readonly socket: Socket;
  readonly got: Array<{ event: string; payload: any }> = [];
  /** Every "connect": the socket id and whether the client says it recovered. */
  readonly connects: Array<{ id: string; recovered: boolean }> = [];

  constructor(url: string, mode: Mode, reconnectionDelay = 20) {
    this.socket = io(url, {
      transports: transportsFor(mode) as any,
      forceNew: true,
      reconnectionDelay,
      reconnectionDelayMax: reconnectionDelay,
      randomizationFactor: 0,
      timeout: 5000,
    });
    this.socket.onAny((event: string, payload: any) => this.got.push({ event, payload }));
    this.socket.on("connect", () => this.connects.push({ id: this.socket.id!, recovered: this.socket.recovered }));
  }

  all(event: string): any[] {
    return this.got.filter((g) => g.event === event).map((g) => g.payload);
  }

  /**
   * The transport goes away under the connected socket (the way socket.io's docs test recovery).
   * Only a live one: socket.io-client hangs when the engine of a reconnection attempt that is still
   * opening is closed (its Manager then listens for "open" and "error" only). And it resolves once
   * the socket knows it is disconnected: until then the engine is "closing" and drops what the
   * socket still hands it, a loss on the client's side that recovery (server to client) does not
   * cover; from then on the socket buffers emits until it is back.
   */
  async kill(): Promise<void> {
    await until(() => this.socket.connected, "a connected socket to kill");
    this.socket.io.engine.close();
    await until(() => !this.socket.connected, "the disconnect");
  }

  close(): void {
    this.socket.close();
  }
}

let s: TestServer;
const peers: Peer[] = [];
let seq = 0;

function peer(mode: Mode, reconnectionDelay?: number, server = s): Peer {
  const p = new Peer(server.http, mode, reconnectionDelay);
  peers.push(p);
  return p;
}

/** A monitor that registers on a fresh connection and completes every command but "hang…". */
function monitor(mode: Mode, id: string, reconnectionDelay?: number, server = s): Peer {
  const m = peer(mode, reconnectionDelay, server);
  m.socket.on("connect", () => {
    if (!m.socket.recovered) m.socket.emit("con", { monitor_id: id });
  });
  m.socket.on("command do", (job: any) => {
    if (!String(job.command).startsWith("hang")) m.socket.emit("command done", { id: job.id });
  });
  return m;
}

/** A user that queries on a fresh connection. */
function user(mode: Mode, monitorId: string, reconnectionDelay?: number, server = s): Peer {
  const u = peer(mode, reconnectionDelay, server);
  u.socket.on("connect", () => {
    if (!u.socket.recovered) u.socket.emit("query", { monitor_id: monitorId });
  });
  return u;
}

async function pair(mode: Mode, opts: { monitorDelay?: number; userDelay?: number; server?: TestServer } = {}) {
  const id = `rec-${++seq}`;
  const m = monitor(mode, id, opts.monitorDelay, opts.server);
  await until(() => m.all("con ok").length === 1, "con ok");
  const u = user(mode, id, opts.userDelay, opts.server);
  await until(() => u.all("query ok").length === 1, "query ok");
  return { id, m, u };
}

const metric = async (server: TestServer, name: string): Promise<number> => {
  const text = await (await fetch(`${server.http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
};

beforeAll(async () => {
  s = await bootServer({ rateLimit: 10_000, rateBurst: 10_000 });
});
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});
afterAll(async () => {
  await s.stop();
});

for (const mode of modes) {
  describe(`socket.io-client 4.8, ${mode} transport`, () => {
    test("transports killed mid-stream (user, monitor, both): every command's ok and finish exactly once, in order; the same sockets, recovered", async () => {
      const { m, u } = await pair(mode);
      const N = 150;
      for (let i = 0; i < N; i++) {
        u.socket.emit("command send", { command: `c${i}` });
        if (i === 30) await u.kill();
        if (i === 70) await m.kill();
        if (i === 110) await Promise.all([u.kill(), m.kill()]);
        if (i % 10 === 9) await Bun.sleep(2); // results of earlier commands are on their way meanwhile
      }
      await until(() => u.all("command finish").length >= N, `${N} command finish (got ${u.all("command finish").length})`);
      await Bun.sleep(100); // nothing more is due: a duplicate would arrive now
      const ok = u.all("command ok").map((p) => p.id);
      const finished = u.all("command finish").map((p) => p.id);
      expect(ok).toHaveLength(N);
      expect(new Set(ok).size).toBe(N);
      expect(finished).toEqual(ok); // the monitor completes in order, so the finishes come in the order of the oks
      expect(u.all("command failed")).toEqual([]);
      expect(m.all("command do").map((j) => j.command)).toEqual(Array.from({ length: N }, (_, i) => `c${i}`));
      expect(m.all("command do").map((j) => j.id)).toEqual(ok);
      for (const p of [u, m]) {
        expect(p.connects.length).toBeGreaterThanOrEqual(3);
        expect(p.connects.slice(1)).toEqual(p.connects.slice(1).map(() => ({ id: p.connects[0]!.id, recovered: true })));
      }
      expect(u.all("monitor offline")).toEqual([]); // the monitor never went away for the relay
      expect(m.all("con ok")).toHaveLength(1);
    }, 30_000);
  });
}

describe("while a monitor is away", () => {
  test("its id stays held, a command sent meanwhile is accepted and reaches it when it is back", async () => {
    const { id, m, u } = await pair("websocket", { monitorDelay: 500 });
    await m.kill();
    const squatter = peer("websocket");
    squatter.socket.emit("con", { monitor_id: id });
    await until(() => squatter.all("con failed").length === 1, "the squatter's con failed");
    expect(squatter.all("con failed")).toEqual([{ reason: "monitor_id already registered" }]);
    u.socket.emit("command send", { command: "while away" });
    await until(() => u.all("command ok").length === 1, "command ok");
    expect(await metric(s, "switchboard_socketio_recovering")).toBeGreaterThanOrEqual(1);
    await until(() => u.all("command finish").length === 1, "command finish after the monitor is back");
    expect(m.all("command do").map((j) => j.command)).toEqual(["while away"]);
    expect(m.connects.at(-1)).toEqual({ id: m.connects[0]!.id, recovered: true });
  });
});

describe("unfinished commands of a user that leaves (docs/socketio.md#caps)", () => {
  test("a user gone for good takes its commands: a monitor away does not get them when it is back, another user's it does", async () => {
    const { id, m, u } = await pair("websocket", { monitorDelay: 600 });
    const stays = user("websocket", id);
    await until(() => stays.all("query ok").length === 1, "the second user's query ok");
    await m.kill();
    u.socket.emit("command send", { command: "from a user who leaves" });
    stays.socket.emit("command send", { command: "from a user who stays" });
    await until(() => u.all("command ok").length === 1 && stays.all("command ok").length === 1, "both command ok");
    expect(await metric(s, "switchboard_socketio_pending_commands")).toBe(2);
    u.socket.disconnect(); // on purpose: gone at once, not away
    await waitFor(async () => (await metric(s, "switchboard_socketio_pending_commands")) === 1, { what: "its command dropped" });
    await until(() => stays.all("command finish").length === 1, "the staying user's command finish once the monitor is back");
    expect(m.connects.at(-1)!.recovered).toBe(true);
    expect(m.all("command do").map((j) => j.command)).toEqual(["from a user who stays"]);
  });

  test("a user only away keeps them: the monitor finishes one meanwhile, the user hears it when back", async () => {
    const { m, u } = await pair("websocket", { userDelay: 600 });
    u.socket.emit("command send", { command: "hang until the user is away" });
    await until(() => m.all("command do").length === 1, "command do");
    await u.kill();
    expect(await metric(s, "switchboard_socketio_pending_commands")).toBe(1);
    const [job] = m.all("command do");
    m.socket.emit("command done", { id: job.id });
    await waitFor(async () => (await metric(s, "switchboard_socketio_pending_commands")) === 0, { what: "the command finished" });
    expect(m.all("error")).toEqual([]); // not "unknown command id": the command was still there
    await until(() => u.all("command finish").length === 1, "command finish once the user is back");
    expect(u.all("command finish")).toEqual([{ reason: expect.any(String), id: job.id }]);
    expect(u.connects.at(-1)!.recovered).toBe(true);
  });
});

describe("the window runs out", () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await bootServer({ sioRecoveryMs: 300 });
  });
  afterAll(async () => {
    for (const p of peers.splice(0)) p.close();
    await short.stop();
  });

  test("a monitor back too late: its commands failed and its users heard it go when the window ended; it gets a fresh socket", async () => {
    const { m, u } = await pair("websocket", { monitorDelay: 1500, server: short });
    u.socket.emit("command send", { command: "hang on" });
    await until(() => m.all("command do").length === 1, "command do");
    const { id } = u.all("command ok")[0];
    const firstId = m.connects[0]!.id;
    await m.kill();
    await until(() => u.all("command failed").length === 1, "command failed when the window ends");
    expect(u.all("command failed")).toEqual([{ reason: "monitor disconnected", id }]);
    expect(u.all("monitor offline")).toHaveLength(1);
    expect(m.socket.connected).toBe(false); // still away: the failure came from the window, not from its return
    await until(() => m.connects.length === 2, "the monitor's reconnection");
    expect(m.connects[1]).toEqual({ id: expect.not.stringMatching(`^${firstId}$`), recovered: false });
    await until(() => m.all("con ok").length === 2 && u.all("monitor online").length === 1, "con ok and monitor online again");
    u.socket.emit("command send", { command: "again" });
    await until(() => u.all("command finish").length === 1, "command finish");
  });

  test("a user back too late gets a fresh socket, and not the results of the commands it sent before", async () => {
    const { m, u } = await pair("websocket", { userDelay: 1000, server: short });
    u.socket.emit("command send", { command: "hang a while" });
    await until(() => m.all("command do").length === 1, "command do");
    const job = m.all("command do")[0];
    await u.kill();
    await Bun.sleep(400); // past the window: the user is gone for good
    m.socket.emit("command done", { id: job.id });
    await until(() => u.connects.length === 2, "the user's reconnection");
    expect(u.connects[1]!.recovered).toBe(false);
    await until(() => u.all("query ok").length === 2, "query ok on the fresh socket");
    await Bun.sleep(100);
    expect(u.all("command finish")).toEqual([]);
  });
});

describe("the bounds", () => {
  test(`a monitor that misses more than ${RECOVERY_BOUNDS.maxPacketsPerSocket} packets cannot come back: its commands fail at once, it gets a fresh socket`, async () => {
    const { m, u } = await pair("websocket", { monitorDelay: 3000 });
    await m.kill();
    const N = RECOVERY_BOUNDS.maxPacketsPerSocket + 1;
    for (let i = 0; i < N; i++) u.socket.emit("command send", { command: `c${i}` });
    await until(() => u.all("command failed").length === u.all("command ok").length && u.all("command ok").length + u.all("command failed").length >= N, "every command answered");
    const failed = u.all("command failed");
    expect(failed.every((f) => f.reason === "monitor disconnected")).toBe(true);
    expect(failed.map((f) => f.id)).toEqual(u.all("command ok").map((p) => p.id));
    expect(u.all("monitor offline")).toHaveLength(1);
    await until(() => m.connects.length === 2, "the monitor's reconnection", 10_000);
    expect(m.connects[1]!.recovered).toBe(false);
    expect(m.connects[1]!.id).not.toBe(m.connects[0]!.id);
    await until(() => m.all("con ok").length === 2, "the monitor registers again");
    expect(m.all("command do")).toEqual([]); // nothing from its old socket
  });
});
