// Unit tests of the Socket.IO layer (namespaces, auth check, events, acks, rooms, connect
// timeout; the rate limit: rate.test.ts) on a fake clock, fake WebSocket links and recording topics.
import { beforeEach, describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/log.ts";
import type { EngineSession } from "../../../src/socketio/engine/session.ts";
import { SioServer, type SioOptions } from "../../../src/socketio/sio/server.ts";
import type { SioSocket } from "../../../src/socketio/sio/socket.ts";
import { FakeClock, FakeLink } from "./fakes.ts";

const base: SioOptions = {
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5_000,
  maxPayload: 10_000,
  upgradeTimeoutMs: 1_000,
  closeTimeoutMs: 1_000,
  maxBufferedPackets: 1_000,
  connectTimeoutMs: 3_000,
  corsOrigin: ["*"],
};
let clock: FakeClock;
let published: Array<[string, string]>;
let io: SioServer;
let sockets: SioSocket[];

function server(over: Partial<SioOptions> = {}): SioServer {
  io = new SioServer(clock, { publish: (t, d) => void published.push([t, d]) }, { ...base, ...over }, { framesIn: 0, framesOut: 0, errors: 0 }, silentLogger);
  io.of("/").onConnection((s) => sockets.push(s));
  return io;
}
/** A WebSocket session, its open packet consumed. */
function wsSession(): { link: FakeLink; session: EngineSession; send(text: string): void } {
  const link = new FakeLink();
  const session = io.engine.wsOpened(link, { kind: "new" })!;
  link.take();
  return { link, session, send: (text) => session.wsFrame(link, text) };
}
function connected() {
  const c = wsSession();
  c.send("40");
  c.link.take();
  return { ...c, socket: sockets.at(-1)! };
}

beforeEach(() => {
  clock = new FakeClock();
  published = [];
  sockets = [];
  server();
});

describe("connect", () => {
  test("CONNECT gets the socket id; the auth payload reaches the application", () => {
    const c = wsSession();
    c.send('40{"token":"t"}');
    const [reply] = c.link.take();
    expect(reply).toBe(`40{"sid":"${sockets[0]!.id}"}`);
    expect(sockets[0]!.auth).toEqual({ token: "t" });
  });

  test("unknown namespace and refused auth get CONNECT_ERROR; the session stays", () => {
    io.of("/locked").use((auth) => (auth.key === "k" ? null : { message: "no key", data: { hint: "key" } }));
    const c = wsSession();
    c.send("40/nowhere,");
    c.send("40/locked,");
    expect(c.link.take()).toEqual(['44/nowhere,{"message":"Invalid namespace"}', '44/locked,{"message":"no key","data":{"hint":"key"}}']);
    c.send('40/locked,{"key":"k"}');
    expect(c.link.take()[0]).toMatch(/^40\/locked,\{"sid":/);
    expect(c.link.closed).toBeNull();
  });

  test("a session that never connects to a namespace is closed after connectTimeout", () => {
    const c = wsSession();
    clock.advance(2999);
    expect(c.link.closed).toBeNull();
    clock.advance(1);
    expect(c.link.closed).not.toBeNull();
    const ok = connected();
    clock.advance(5000);
    expect(ok.link.closed).toBeNull();
  });

  test("the client's address reaches the session, the socket and the auth check, on both transports", async () => {
    const seen: string[] = [];
    io.of("/").use((_auth, peer) => (seen.push(peer.ip), null));
    const link = new FakeLink();
    const session = io.engine.wsOpened(link, { kind: "new", ip: "192.0.2.7" })!;
    expect(session.ip).toBe("192.0.2.7");
    session.wsFrame(link, "40");
    expect(sockets.at(-1)!.ip).toBe("192.0.2.7");
    const peers = { requestIP: () => ({ address: "2001:db8::9" }) };
    const r = await io.engine.http(new Request("http://x/socket.io/?EIO=4&transport=polling"), new URLSearchParams("EIO=4&transport=polling"), () => {}, peers);
    const polling = io.engine.sessions.get(JSON.parse((await r.text()).slice(1)).sid)!;
    polling.post("40");
    expect(sockets.at(-1)!.ip).toBe("2001:db8::9");
    const target = io.engine.verifyUpgrade(new Request("http://x/socket.io/?EIO=4&transport=websocket"), new URLSearchParams("EIO=4&transport=websocket"), peers);
    expect(target).toEqual({ kind: "new", ip: "2001:db8::9", client: "unknown" });
    expect(seen).toEqual(["192.0.2.7", "2001:db8::9"]);
  });

  test("delayConnect: the CONNECT is looked at and answered after the wait; more CONNECTs meanwhile are ignored", () => {
    let checks = 0;
    io.of("/").delayConnect((peer) => (peer.ip === "" ? 500 : 0)).use((auth) => (checks++, auth.ok ? null : { message: "no" }));
    const c = wsSession();
    c.send("40");
    for (let i = 0; i < 50; i++) c.send('40{"ok":1}');
    clock.advance(499);
    expect(c.link.take()).toEqual([]);
    expect(checks).toBe(0);
    clock.advance(1);
    expect(c.link.take()).toEqual(['44{"message":"no"}']);
    expect(checks).toBe(1);
    c.send('40{"ok":1}'); // the next attempt waits again
    clock.advance(500);
    expect(c.link.take()[0]).toMatch(/^40\{"sid":/);
  });

  test("delayConnect: a session that ends while its CONNECT waits is never answered", () => {
    io.of("/").delayConnect(() => 1000);
    const c = wsSession();
    c.send("40");
    c.session.wsClosed(c.link);
    clock.advance(2000);
    expect(c.link.take()).toEqual([]);
    expect(sockets).toEqual([]);
  });

  test("a malformed Socket.IO packet closes the connection", () => {
    const c = connected();
    c.send("42{}");
    expect(c.link.closed).not.toBeNull();
    expect(c.socket.connected).toBe(false);
  });
});

describe("events and acks", () => {
  test("handler gets the arguments and an ack that answers once", () => {
    const c = connected();
    const seen: unknown[][] = [];
    c.socket.on("sum", (args, ack) => {
      seen.push(args);
      ack?.((args as number[]).reduce((a, b) => a + b, 0));
      ack?.("twice");
    });
    c.send('42["sum",1,2,3]');
    c.send('427["sum",4,5]');
    expect(seen).toEqual([[1, 2, 3], [4, 5]]);
    expect(c.link.take()).toEqual(["437[9]"]);
  });

  test("server emit with an ack callback gets the client's ACK; binary goes out as attachments", () => {
    const c = connected();
    let answer: unknown[] = [];
    c.socket.emit("ask", "q", (...a: unknown[]) => (answer = a));
    expect(c.link.take()).toEqual(['421["ask","q"]']);
    c.send("431[42]");
    expect(answer).toEqual([42]);
    c.send("431[43]"); // an ack is taken once
    expect(answer).toEqual([42]);
    c.socket.emit("blob", Buffer.from([1]));
    expect(c.link.take()).toEqual(['451-["blob",{"_placeholder":true,"num":0}]', Buffer.from([1])]);
  });

  test("a binary event is reassembled per session while other sessions' packets arrive in between", () => {
    const a = connected();
    const b = connected();
    const got: Array<[string, unknown[]]> = [];
    a.socket.on("up", (args) => got.push(["a", args]));
    b.socket.on("up", (args) => got.push(["b", args]));
    a.send('451-["up",{"_placeholder":true,"num":0}]');
    b.send('42["up","text"]');
    a.session.wsFrame(a.link, new Uint8Array([7, 8]));
    b.send('42["up","again"]');
    expect(got).toEqual([
      ["b", ["text"]],
      ["a", [Buffer.from([7, 8])]],
      ["b", ["again"]],
    ]);
    // Binary data with no packet to attach it to is malformed: only that session closes.
    b.session.wsFrame(b.link, new Uint8Array([1]));
    expect(b.link.closed).not.toBeNull();
    expect(a.link.closed).toBeNull();
  });

  test("namespace-level handlers serve every socket; a socket's own handler comes first", () => {
    const nsp = io.of("/");
    const seen: string[] = [];
    nsp.on("e", (socket, args, ack) => {
      seen.push(`nsp:${socket.id === sockets[0]!.id ? "first" : "second"}:${String(args[0])}`);
      ack?.("from nsp");
    });
    nsp.onUnknown((_socket, event) => seen.push(`unknown:${event}`));
    nsp.onDisconnect((_socket, reason) => seen.push(`gone:${reason}`));
    const first = connected();
    const second = connected();
    second.socket.on("e", (args) => seen.push(`own:${String(args[0])}`));
    second.socket.onDisconnect(() => seen.push("own gone"));
    first.send('421["e",1]');
    second.send('42["e",2]');
    first.send('42["nope"]');
    second.send("41");
    expect(seen).toEqual(["nsp:first:1", "own:2", "unknown:nope", "own gone", "gone:client namespace disconnect"]);
    expect(first.link.take()).toEqual(['431["from nsp"]']);
  });

  test("server disconnect sends DISCONNECT and, with close, ends the session", () => {
    const c = connected();
    const reasons: string[] = [];
    c.socket.onDisconnect((r) => reasons.push(r));
    c.socket.disconnect(true);
    expect(c.link.take()).toEqual(["41"]);
    expect(c.link.closed).not.toBeNull();
    expect(reasons).toEqual(["server namespace disconnect"]);
  });
});

describe("rooms", () => {
  test("WebSocket members are fed through one topic publish; the sender is skipped; leaving unsubscribes", () => {
    const a = connected();
    const b = connected();
    a.socket.join("r");
    b.socket.join("r");
    const topic = io.of("/").rooms.topic("r");
    expect(a.link.topics.has(topic)).toBe(true);
    io.of("/").to("r").emit("hi", 1);
    expect(published).toEqual([[topic, '42["hi",1]']]);
    b.socket.leave("r");
    expect(b.link.topics.has(topic)).toBe(false);
    expect(io.of("/").rooms.size("r")).toBe(1);
  });

  test("polling members get room packets through their session; they subscribe once upgraded", async () => {
    const r = await io.engine.http(new Request("http://x/socket.io/?EIO=4&transport=polling"), new URLSearchParams("EIO=4&transport=polling"), () => {});
    const sid = JSON.parse((await r.text()).slice(1)).sid as string;
    const session = io.engine.sessions.get(sid)!;
    session.post("40");
    const polling = sockets.at(-1)!;
    const ws = connected();
    polling.join("r");
    ws.socket.join("r");
    ws.socket.to("r").emit("news", "x");
    let body = "";
    session.poll((b) => (body = b));
    expect(body).toBe(`40{"sid":"${polling.id}"}\x1e42["news","x"]`);
    expect(published).toEqual([]); // publishOthers from the sender's own link
    const link = new FakeLink();
    session.attachProbe(link);
    session.wsFrame(link, "2probe");
    session.wsFrame(link, "5");
    expect(link.topics.has(io.of("/").rooms.topic("r"))).toBe(true);
  });
});
