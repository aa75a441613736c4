// Unit tests of connection state recovery in the Socket.IO layer (docs/socketio.md#connection-state-recovery):
// pids and offsets on the wire, what a socket that is away keeps, what comes back and in which
// order, the heartbeat that trims the logs, the window, the caps, and the clients left out.
import { beforeEach, describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/log.ts";
import { engineClientOf } from "../../../src/socketio/engine/server.ts";
import type { EngineClient, EngineSession } from "../../../src/socketio/engine/session.ts";
import type { RecoveryOptions } from "../../../src/socketio/sio/recovery.ts";
import { SioServer, type SioOptions } from "../../../src/socketio/sio/server.ts";
import type { SioSocket } from "../../../src/socketio/sio/socket.ts";
import { FakeClock, FakeLink } from "./fakes.ts";

const WINDOW = 60_000;
const bounds: RecoveryOptions = { windowMs: WINDOW, maxPacketsPerSocket: 10, maxPackets: 25, maxChars: 1_000_000 };
const base: SioOptions = {
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5_000,
  maxPayload: 10_000,
  upgradeTimeoutMs: 1_000,
  closeTimeoutMs: 1_000,
  maxBufferedPackets: 1_000,
  connectTimeoutMs: 3_000,
  corsOrigin: ["*"],
  recovery: bounds,
};

let clock: FakeClock;
let published: Array<[string, string]>;
let io: SioServer;
let log: string[];

function server(over: Partial<SioOptions> = {}): SioServer {
  io = new SioServer(clock, { publish: (t, d) => void published.push([t, d]) }, { ...base, ...over }, { framesIn: 0, framesOut: 0, errors: 0 }, silentLogger);
  const nsp = io.of("/");
  nsp.onConnection((s) => log.push(`connection ${s.id}`));
  nsp.onSuspend((s, reason) => log.push(`away ${s.id} ${reason}`));
  nsp.onRecover((s) => log.push(`back ${s.id}`));
  nsp.onDisconnect((s, reason) => log.push(`gone ${s.id} ${reason}`));
  return io;
}

interface Peer {
  link: FakeLink;
  session: EngineSession;
  send(text: string): void;
  /** Text frames received, then forgotten. */
  take(): string[];
}
function open(client?: EngineClient): Peer {
  const link = new FakeLink();
  const session = io.engine.wsOpened(link, { kind: "new", client })!;
  link.take();
  return { link, session, send: (t) => session.wsFrame(link, t), take: () => link.take().map(String) };
}
/** A session connected to "/" (the CONNECT reply parsed); auth is the CONNECT payload. */
function connect(auth: Record<string, unknown> | null = null, client?: EngineClient) {
  const p = open(client);
  p.send(auth ? `40${JSON.stringify(auth)}` : "40");
  const [reply] = p.take();
  const data = JSON.parse(reply!.slice(2)) as { sid: string; pid?: string };
  const socket = io.of("/").sockets.get(data.sid)!;
  return { ...p, reply: data, socket };
}
/** "42[...]" → its arguments after the event name, and the event name. */
const ev = (frame: string): { event: string; args: unknown[] } => {
  const arr = JSON.parse(frame.slice(2)) as [string, ...unknown[]];
  return { event: arr[0], args: arr.slice(1) };
};
const offsetOf = (frame: string): string => ev(frame).args.at(-1) as string;
/** Kills the transport: the WebSocket closes under the session (a "transport close"). */
const kill = (p: Peer) => p.session.wsClosed(p.link);
/** A heartbeat round trip: the ping goes out, the pong comes back. */
function heartbeat(p: Peer): void {
  clock.advance(base.pingIntervalMs);
  expect(p.take().at(-1)).toBe("2");
  p.send("3");
}

beforeEach(() => {
  clock = new FakeClock();
  published = [];
  log = [];
  server();
});

describe("on the wire", () => {
  test("the CONNECT reply has the pid; every event without ack carries an offset as its last argument, acks and ack requests do not", () => {
    const c = connect();
    expect(c.reply).toEqual({ sid: c.socket.id, pid: expect.stringMatching(/^[\w-]{20}$/) });
    c.socket.emit("a", { x: 1 });
    c.socket.deliver("b", 2, "s");
    c.socket.emit("ask", "q", () => {});
    c.socket.on("e", (_args, ack) => ack?.("ok"));
    c.send('427["e"]');
    const [a, b, ask, ack] = c.take();
    expect(ev(a!)).toEqual({ event: "a", args: [{ x: 1 }, expect.stringMatching(/^[0-9a-z]+$/)] });
    expect(ev(b!).args.slice(0, 2)).toEqual([2, "s"]);
    expect(parseInt(offsetOf(b!), 36)).toBeGreaterThan(parseInt(offsetOf(a!), 36));
    expect(ask).toBe('421["ask","q"]');
    expect(ack).toBe('437["ok"]');
  });

  test("recovery off (window 0): no pid, no offsets, a lost transport ends the socket at once", () => {
    server({ recovery: { ...bounds, windowMs: 0 } });
    const c = connect();
    expect(c.reply).toEqual({ sid: c.socket.id });
    c.socket.emit("a", 1);
    expect(c.take()).toEqual(['42["a",1]']);
    kill(c);
    expect(log).toEqual([`connection ${c.socket.id}`, `gone ${c.socket.id} transport close`]);
  });

  test("python-engineio sessions get no pid and no offsets, and end at once (python-socketio passes every argument to its handlers)", () => {
    const c = connect(null, "python-engineio");
    expect(c.reply).toEqual({ sid: c.socket.id });
    c.socket.emit("a", 1);
    expect(c.take()).toEqual(['42["a",1]']);
    kill(c);
    expect(log.at(-1)).toBe(`gone ${c.socket.id} transport close`);
  });

  test("python-engineio is told by its handshake timestamp (seconds with a fraction); engine.io-client's is base 36 or absent", () => {
    const q = (s: string) => engineClientOf(new URLSearchParams(s));
    expect(q("transport=polling&EIO=4&t=1700000000.123456")).toBe("python-engineio");
    expect(q("transport=websocket&EIO=4&t=1700000000.5")).toBe("python-engineio");
    expect(q("EIO=4&transport=polling&t=PZxqP3a")).toBe("unknown");
    expect(q("EIO=4&transport=polling&t=lx2a9k1q")).toBe("unknown");
    expect(q("EIO=4&transport=websocket")).toBe("unknown");
  });
});

describe("away and back", () => {
  test("a client back within the window gets the same socket: id, rooms, and what it missed after its offset, once, in order, before anything new", () => {
    const c = connect({ token: "t" });
    const s = c.socket;
    s.join("r");
    s.emit("seen", 1);
    const [seen] = c.take();
    s.emit("lost in flight", 2); // written to the transport, never read by the client
    c.take();
    kill(c);
    expect(log.at(-1)).toBe(`away ${s.id} transport close`);
    expect(s.connected).toBe(false);
    expect(s.away).toBe(true);
    s.emit("while away", 3);
    s.deliver("from another connection", 4);
    io.of("/").to("r").emit("to the room", 5);
    s.emit("with ack", () => {}); // not kept: its callback would not survive

    const back = open();
    back.send(`40${JSON.stringify({ pid: c.reply.pid, offset: offsetOf(seen!), token: "t" })}`);
    const frames = back.take();
    expect(frames[0]).toBe(`40{"sid":"${s.id}","pid":"${c.reply.pid}"}`);
    expect(frames.slice(1).map((f) => ev(f).event)).toEqual(["lost in flight", "while away", "from another connection", "to the room"]);
    expect(s.connected && s.recovered).toBe(true);
    expect(s.client.session).toBe(back.session);
    expect([...s.rooms]).toEqual(["r"]);
    expect(back.link.topics.has(io.of("/").rooms.topic("r", true))).toBe(true);
    expect(s.auth).toEqual({ token: "t" }); // its first CONNECT's
    expect(log.slice(-1)).toEqual([`back ${s.id}`]);
    expect(log.filter((l) => l.startsWith("connection"))).toHaveLength(1); // connection handlers do not run again
    s.emit("new", 6);
    expect(back.take().map((f) => ev(f).event)).toEqual(["new"]);
  });

  test("a client that read nothing comes back without an offset and gets everything (socket.io refuses this case)", () => {
    const c = connect();
    c.socket.emit("never read", 1);
    kill(c);
    const back = open();
    back.send(`40{"pid":"${c.reply.pid}"}`);
    expect(back.take().map((f) => (f.startsWith("40") ? "connect" : ev(f).event))).toEqual(["connect", "never read"]);
    expect(c.socket.recovered).toBe(true);
  });

  test("an event delivered while a socket is away can be withdrawn: its client never gets it; one already sent stays", () => {
    const c = connect();
    const sent = c.socket.deliver("sent", 1); // sent, not confirmed
    kill(c);
    const kept = c.socket.deliver("kept", 2);
    const taken = c.socket.deliver("taken back", 3);
    c.socket.withdraw(taken);
    c.socket.withdraw(sent); // already on the wire: stays in the log
    expect(io.recovery!.stats().packets).toBe(2);
    const back = open();
    back.send(`40{"pid":"${c.reply.pid}"}`);
    expect(back.take().map((f) => (f.startsWith("40") ? "connect" : ev(f).event))).toEqual(["connect", "sent", "kept"]);
    expect(kept).toBeGreaterThan(sent);
    c.socket.withdraw(kept); // connected again: nothing is taken back
    expect(io.recovery!.stats().packets).toBe(2);
  });

  test("it can be away and back again and again; an offset already confirmed is not one to come back with", () => {
    const c = connect();
    const s = c.socket;
    let peer: Peer = c;
    let last = "";
    for (let i = 0; i < 3; i++) {
      s.emit("n", i);
      last = offsetOf(peer.take().at(-1)!);
      kill(peer);
      peer = open();
      peer.send(`40{"pid":"${c.reply.pid}","offset":"${last}"}`);
      expect(peer.take()).toEqual([`40{"sid":"${s.id}","pid":"${c.reply.pid}"}`]);
    }
    expect(log.filter((l) => l.startsWith("back"))).toHaveLength(3);
    s.emit("after", 1);
    const after = offsetOf(peer.take()[0]!);
    kill(peer);
    const stale = open();
    stale.send(`40{"pid":"${c.reply.pid}","offset":"${last}"}`); // before "after", which the client was sent
    expect(ev(stale.take()[1]!).event).toBe("after");
    kill(stale);
    const bogus = open();
    bogus.send(`40{"pid":"${c.reply.pid}","offset":"zzz"}`); // an offset that is not one of its packets
    expect(JSON.parse(bogus.take()[0]!.slice(2)).sid).not.toBe(s.id);
    expect(after).not.toBe(last);
  });

  test("only a lost transport is recoverable: DISCONNECT from the client, a server disconnect or a malformed packet end the socket at once", () => {
    const a = connect();
    a.send("41");
    const b = connect();
    b.socket.disconnect();
    const c = connect();
    c.send("42{}");
    expect(log.filter((l) => l.startsWith("gone"))).toEqual([
      `gone ${a.socket.id} client namespace disconnect`,
      `gone ${b.socket.id} server namespace disconnect`,
      `gone ${c.socket.id} forced close`,
    ]);
    expect(log.some((l) => l.startsWith("away"))).toBe(false);
    const back = open();
    back.send(`40{"pid":"${a.reply.pid}"}`);
    expect(JSON.parse(back.take()[0]!.slice(2)).sid).not.toBe(a.socket.id);
  });

  test("the window: a socket away ends when it runs out (with the reason it was lost for); its pid then gets a fresh socket", () => {
    const c = connect();
    clock.advance(1000);
    c.session.wsFrame(c.link, "3");
    kill(c);
    clock.advance(WINDOW - 1);
    expect(c.socket.away).toBe(true);
    clock.advance(1);
    expect(log.at(-1)).toBe(`gone ${c.socket.id} transport close`);
    expect(c.socket.ended).toBe(true);
    const late = connect({ pid: c.reply.pid });
    expect(late.reply.sid).not.toBe(c.socket.id);
    expect(late.reply.pid).not.toBe(c.reply.pid);
    expect(late.socket.recovered).toBe(false);
  });

  test("polling: packets queued for a GET that never came are replayed; the client's close packet is a lost transport", async () => {
    const q = "EIO=4&transport=polling";
    const r = await io.engine.http(new Request(`http://x/socket.io/?${q}`), new URLSearchParams(q), () => {});
    const session = io.engine.sessions.get(JSON.parse((await r.text()).slice(1)).sid)!;
    session.post("40");
    let body = "";
    session.poll((b) => (body = b));
    const { sid, pid } = JSON.parse(body.slice(2)) as { sid: string; pid: string };
    const s = io.of("/").sockets.get(sid)!;
    s.emit("queued", 1); // no GET is pending: it waits in the session's buffer
    session.post("1");
    expect(log.at(-1)).toBe(`away ${sid} transport close`);
    const back = open();
    back.send(`40{"pid":"${pid}"}`);
    expect(back.take().slice(1).map((f) => ev(f).event)).toEqual(["queued"]);
  });

  test("a ping timeout is recoverable too", () => {
    const c = connect();
    clock.advance(base.pingIntervalMs + base.pingTimeoutMs);
    expect(log.at(-1)).toBe(`away ${c.socket.id} ping timeout`);
  });

  test("the pid is the credential: auth checks do not run again for a socket that comes back, and run for one that does not", () => {
    let checks = 0;
    io.of("/").use((auth) => (checks++, auth.token === "t" ? null : { message: "no" }));
    const c = connect({ token: "t" });
    kill(c);
    const back = open();
    back.send(`40{"pid":"${c.reply.pid}"}`);
    expect(back.take()[0]).toStartWith(`40{"sid":"${c.socket.id}"`);
    const stranger = open();
    stranger.send(`40{"pid":"not-a-pid"}`);
    expect(stranger.take()).toEqual(['44{"message":"no"}']);
    expect(checks).toBe(2);
  });

  test("a pid only brings its socket back in its own namespace", () => {
    io.of("/other");
    const c = connect();
    kill(c);
    const p = open();
    p.send(`40/other,{"pid":"${c.reply.pid}"}`);
    expect(JSON.parse(p.take()[0]!.slice("40/other,".length)).sid).not.toBe(c.socket.id);
    expect(c.socket.away).toBe(true);
  });

  test("a client back while its old session still looks alive takes its socket over; the old session closes", () => {
    const c = connect();
    c.socket.emit("in flight", 1);
    c.take();
    const back = open(); // the old transport died unnoticed (no close, ping timeout still ahead)
    back.send(`40{"pid":"${c.reply.pid}"}`);
    expect(back.take().map((f) => (f.startsWith("40") ? "connect" : ev(f).event))).toEqual(["connect", "in flight"]);
    expect(c.link.closed).not.toBeNull();
    expect(c.socket.client.session).toBe(back.session);
    expect(c.socket.connected).toBe(true);
    expect(log.filter((l) => l.startsWith("away") || l.startsWith("gone"))).toEqual([]);
  });

  test("shutdown ends the sockets away and those connected, none of them recoverable", () => {
    const a = connect();
    kill(a);
    const b = connect();
    io.close();
    expect(log.filter((l) => l.startsWith("gone")).sort()).toEqual([`gone ${a.socket.id} transport close`, `gone ${b.socket.id} forced close`].sort());
    expect(clock.pending).toBe(0);
  });
});

describe("what a socket keeps", () => {
  test("the heartbeat trims the log: a pong confirms everything sent before its ping", () => {
    const c = connect();
    for (let i = 0; i < 4; i++) c.socket.emit("n", i);
    expect(io.recovery!.stats().packets).toBe(4);
    const confirmed = offsetOf(c.take().at(-1)!);
    heartbeat(c);
    expect(io.recovery!.stats().packets).toBe(0);
    c.socket.emit("after", 1);
    kill(c);
    const back = open();
    back.send(`40{"pid":"${c.reply.pid}","offset":"${confirmed}"}`);
    expect(back.take().slice(1).map((f) => ev(f).event)).toEqual(["after"]);
  });

  test("a packet sent after the ping stays until the next pong", () => {
    const c = connect();
    clock.advance(base.pingIntervalMs);
    c.socket.emit("after the ping", 1);
    c.send("3");
    expect(io.recovery!.stats().packets).toBe(1);
  });

  test("connected, past its bound: the oldest packets go; a client that had not read them gets a fresh socket", () => {
    const c = connect();
    const first = (c.socket.emit("n", 0), offsetOf(c.take()[0]!));
    for (let i = 1; i <= bounds.maxPacketsPerSocket + 1; i++) c.socket.emit("n", i);
    expect(io.recovery!.stats().packets).toBe(bounds.maxPacketsPerSocket);
    kill(c);
    const back = open();
    back.send(`40{"pid":"${c.reply.pid}","offset":"${first}"}`); // n=1 is gone: it cannot be replayed
    expect(JSON.parse(back.take()[0]!.slice(2)).sid).not.toBe(c.socket.id);
    // Had the client read n=1, everything after it would still be there.
    const c2 = connect();
    for (let i = 0; i <= bounds.maxPacketsPerSocket; i++) c2.socket.emit("n", i);
    const read = offsetOf(c2.take()[0]!);
    kill(c2);
    const back2 = open();
    back2.send(`40{"pid":"${c2.reply.pid}","offset":"${read}"}`);
    expect(back2.take().slice(1).map((f) => ev(f).args[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("away, past its bound: not recoverable; it ends on the next tick, not inside the emit", () => {
    const c = connect();
    kill(c);
    for (let i = 0; i < bounds.maxPacketsPerSocket; i++) c.socket.emit("n", i);
    expect(c.socket.away).toBe(true);
    c.socket.emit("one too many", 0);
    expect(log.at(-1)).toBe(`away ${c.socket.id} transport close`);
    expect(io.recovery!.stats().packets).toBe(0);
    clock.advance(0);
    expect(log.at(-1)).toBe(`gone ${c.socket.id} transport close`);
    const back = open();
    back.send(`40{"pid":"${c.reply.pid}"}`);
    expect(JSON.parse(back.take()[0]!.slice(2)).sid).not.toBe(c.socket.id);
  });

  test("past the total bound the socket away longest ends first", () => {
    const sockets = [connect(), connect(), connect()];
    for (const s of sockets) kill(s);
    for (const s of sockets) for (let i = 0; i < 8; i++) s.socket.emit("n", i); // 24 of 25
    expect(io.recovery!.stats()).toEqual({ away: 3, packets: 24, chars: expect.any(Number) });
    sockets[2]!.socket.emit("n", 8);
    sockets[2]!.socket.emit("n", 9); // 26: the first to go away goes
    clock.advance(0);
    expect(log.filter((l) => l.startsWith("gone"))).toEqual([`gone ${sockets[0]!.socket.id} transport close`]);
    expect(io.recovery!.stats().packets).toBe(18);
  });

  test("past the total size bound too", () => {
    server({ recovery: { ...bounds, maxChars: 100 } });
    const a = connect();
    kill(a);
    a.socket.emit("n", "x".repeat(60));
    const b = connect();
    b.socket.emit("n", "y".repeat(60));
    clock.advance(0);
    expect(log.filter((l) => l.startsWith("gone"))).toEqual([`gone ${a.socket.id} transport close`]);
  });
});

describe("rooms", () => {
  test("a broadcast is encoded once with one offset for the members that can recover, and without for the others, each kind on its own topic", () => {
    const nsp = io.of("/");
    const js = [connect(), connect()];
    const py = connect(null, "python-engineio");
    for (const c of [...js, py]) c.socket.join("r");
    expect(js[0]!.link.topics.has(nsp.rooms.topic("r", true))).toBe(true);
    expect(py.link.topics.has(nsp.rooms.topic("r", false))).toBe(true);
    nsp.to("r").emit("news", 1);
    expect(published.map(([t]) => t).sort()).toEqual([nsp.rooms.topic("r"), nsp.rooms.topic("r", true)].sort());
    const withOffset = published.find(([t]) => t === nsp.rooms.topic("r", true))![1];
    expect(withOffset).toMatch(/^42\["news",1,"[0-9a-z]+"\]$/);
    expect(published.find(([t]) => t === nsp.rooms.topic("r"))![1]).toBe('42["news",1]');
    expect(io.recovery!.stats().packets).toBe(2); // one packet, in the log of each member that can recover
  });

  test("a sender that can recover is left out of its own kind's topic, and does not keep the packet", () => {
    const nsp = io.of("/");
    const sender = connect();
    const other = connect();
    let others: string[] = [];
    sender.link.publishOthers = (topic) => void others.push(topic);
    sender.socket.join("r");
    other.socket.join("r");
    sender.socket.to("r").emit("news", 1);
    expect(others).toEqual([nsp.rooms.topic("r", true)]);
    expect(published).toEqual([]);
    expect(io.recovery!.stats().packets).toBe(1);
  });

  test("a member that is away stays in the room, gets the broadcasts it missed and its topic back", () => {
    const nsp = io.of("/");
    const a = connect();
    a.socket.join("r");
    kill(a);
    expect(nsp.rooms.size("r")).toBe(1);
    nsp.to("r").emit("news", 1);
    expect(published).toEqual([]); // nobody connected to publish to
    const back = open();
    back.send(`40{"pid":"${a.reply.pid}"}`);
    expect(back.take().slice(1).map((f) => ev(f))).toEqual([{ event: "news", args: [1, expect.any(String)] }]);
    expect(back.link.topics.has(nsp.rooms.topic("r", true))).toBe(true);
  });

  test("a socket that ends for good leaves its rooms", () => {
    const a = connect();
    a.socket.join("r");
    kill(a);
    clock.advance(WINDOW);
    expect(io.of("/").rooms.size("r")).toBe(0);
  });
});
