// The rate limit of the Socket.IO layer (docs/socketio.md#rate-limit) on a fake clock: every
// packet is a unit of work, packets over the rate wait in the session's queue and are handled in
// order, pongs are handled on arrival, and only a full queue is refused and closed.
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
let io: SioServer;
let sockets: SioSocket[];

function server(over: Partial<SioOptions> = {}): SioServer {
  io = new SioServer(clock, { publish: () => {} }, { ...base, ...over }, { framesIn: 0, framesOut: 0, errors: 0 }, silentLogger);
  io.of("/").onConnection((s) => sockets.push(s));
  return io;
}
/** A WebSocket session connected to "/", its open packet and CONNECT reply consumed. */
function connected(): { link: FakeLink; session: EngineSession; send(text: string): void; socket: SioSocket } {
  const link = new FakeLink();
  const session = io.engine.wsOpened(link, { kind: "new" })!;
  const send = (text: string) => session.wsFrame(link, text);
  send("40");
  link.take();
  return { link, session, send, socket: sockets.at(-1)! };
}

beforeEach(() => {
  clock = new FakeClock();
  sockets = [];
  server();
});

describe("rate limit: every packet is a unit; over the rate packets wait; a full queue is refused (docs/socketio.md#rate-limit)", () => {
  // 10 units/s (one each 100 ms), a burst of 4, at most 3 packets waiting.
  const limited = () => {
    server({ rate: { rate: 10, burst: 4, queueMessages: 3, queueBytes: 1 << 20 } });
    const c = connected(); // its CONNECT took one unit: 3 left
    const handled: unknown[] = [];
    c.socket.on("e", (args, ack) => {
      handled.push(args[0]);
      ack?.("ok", args[0]);
    });
    const refused: Array<[string, boolean]> = [];
    io.rateLimited = (_s, event, ack) => {
      refused.push([event, ack !== null]);
      ack?.("slow down");
    };
    return { ...c, handled, refused };
  };

  test("over the rate packets wait, in order, and are handled as tokens come back", () => {
    const c = limited();
    for (let i = 1; i <= 6; i++) c.send(`42${i}["e",${i}]`);
    expect(c.handled).toEqual([1, 2, 3]);
    expect(c.link.take()).toEqual(['431["ok",1]', '432["ok",2]', '433["ok",3]']);
    clock.advance(100);
    expect(c.handled).toEqual([1, 2, 3, 4]);
    clock.advance(200);
    expect(c.handled).toEqual([1, 2, 3, 4, 5, 6]);
    expect(c.link.take()).toEqual(['434["ok",4]', '435["ok",5]', '436["ok",6]']);
    expect(c.refused).toEqual([]);
    expect(c.link.closed).toBeNull();
  });

  test("acks, CONNECTs to unknown namespaces, binary attachments and WebSocket pings count like events", () => {
    const c = limited();
    c.send("430[]"); // an ack nobody waits for
    c.send("40/nope,"); // CONNECT_ERROR
    c.session.wsControl(c.link); // a ping frame
    c.send('42["e",1]');
    expect(c.handled).toEqual([]);
    expect(c.link.take()).toEqual(['44/nope,{"message":"Invalid namespace"}']);
    clock.advance(100);
    expect(c.handled).toEqual([1]);
    c.send('451-["e",{"_placeholder":true,"num":0}]'); // header and attachment: two units
    c.session.wsFrame(c.link, Uint8Array.from([1, 2]));
    clock.advance(100);
    expect(c.handled).toEqual([1]);
    clock.advance(100);
    expect(c.handled).toEqual([1, Buffer.from([1, 2])]);
  });

  test("a pong is handled when it arrives, whatever waits: a busy session does not time out", () => {
    server({ rate: { rate: 1, burst: 1, queueMessages: 100, queueBytes: 1 << 20 } });
    const c = connected(); // the CONNECT took the one token
    const handled: unknown[] = [];
    c.socket.on("e", (args) => handled.push(args[0]));
    for (let i = 1; i <= 20; i++) c.send(`42["e",${i}]`); // 20 s of work at 1/s
    clock.advance(10_000); // the ping is due, with 10 events still waiting
    expect(c.link.take()).toEqual(["2"]);
    expect(handled.length).toBe(10);
    c.send("3"); // behind the queue it would come 10 s late, past pingTimeout (5 s)
    clock.advance(6_000);
    expect(c.link.closed).toBeNull();
    clock.advance(5_000);
    expect(handled.length).toBe(20);
    expect(c.link.closed).toBeNull();
  });

  test("past the queue: the refused event gets the reply (its ack too), then the session is closed (1008); what waited is dropped", () => {
    const c = limited();
    for (let i = 1; i <= 6; i++) c.send(`42["e",${i}]`);
    c.send('427["e",7]');
    expect(c.refused).toEqual([["e", true]]);
    expect(c.link.take()).toEqual(['437["slow down"]']);
    expect(c.link.closed?.code).toBe(1008);
    clock.advance(1000);
    expect(c.handled).toEqual([1, 2, 3]);
  });

  test("past the queue with a packet that is not an event: the reply goes to the session's sockets with no event name", () => {
    const c = limited();
    for (let i = 0; i < 7; i++) c.send("430[]");
    expect(c.refused).toEqual([["", false]]);
    expect(c.link.closed?.code).toBe(1008);
  });

  test("a polling POST's packets past the rate wait too; the POST itself is taken at once", async () => {
    const c = limited();
    const r = await io.engine.http(new Request("http://x/socket.io/?EIO=4&transport=polling"), new URLSearchParams("EIO=4&transport=polling"), () => {});
    const sid = JSON.parse((await r.text()).slice(1)).sid as string;
    const session = io.engine.sessions.get(sid)!;
    expect(session.post("40")).toBe(true);
    const socket = sockets.at(-1)!;
    const seen: unknown[] = [];
    socket.on("e", (args) => seen.push(args[0]));
    expect(session.post(Array.from({ length: 5 }, (_, i) => `42["e",${i}]`).join("\x1e"))).toBe(true);
    expect(seen).toEqual([0, 1, 2]);
    clock.advance(200);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(c.refused).toEqual([]);
  });

  test("without a rate (a layer on its own), packets are handled as they come", () => {
    const c = connected();
    const seen: unknown[] = [];
    c.socket.on("e", (args) => seen.push(args[0]));
    for (let i = 0; i < 2000; i++) c.send(`42["e",${i}]`);
    expect(seen.length).toBe(2000);
  });
});

