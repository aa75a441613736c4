// Unit tests of one Engine.IO session with a fake clock and a fake WebSocket link.
import { beforeEach, describe, expect, test } from "bun:test";
import { EngineSession, type EngineOptions } from "../../../src/socketio/engine/session.ts";
import { FakeClock, FakeLink } from "./fakes.ts";

const opts: EngineOptions = { pingIntervalMs: 1000, pingTimeoutMs: 500, maxPayload: 1000, upgradeTimeoutMs: 2000, closeTimeoutMs: 3000, maxBufferedPackets: 5 };
let clock: FakeClock;
let closedWith: string[];
let messages: Array<string | Uint8Array>;
let upgraded: number;
const counters = { framesIn: 0, framesOut: 0 };

function session(ws: FakeLink | null = null): EngineSession {
  const s = new EngineSession("sid1", clock, opts, counters, ws);
  s.events = { message: (d) => messages.push(d), upgraded: () => upgraded++, closed: (r) => closedWith.push(r) };
  s.start();
  return s;
}
/** A GET: resolves with the body, or "pending" if nothing came in this tick. */
async function get(s: EngineSession): Promise<string> {
  let body = "pending";
  const ok = s.poll((b) => (body = b));
  await Promise.resolve();
  await Promise.resolve();
  return ok ? body : "refused";
}

/** A GET held open; `body` is what it got (empty until answered). */
function hold(s: EngineSession): { body: string } {
  const reply = { body: "" };
  s.poll((b) => (reply.body = b));
  return reply;
}

/** A session past its handshake, with a GET held open; `reply.body` is what that GET got. */
async function withPendingGet(): Promise<{ s: EngineSession; reply: { body: string } }> {
  const s = session();
  await get(s);
  const reply = { body: "" };
  s.poll((b) => (reply.body = b));
  return { s, reply };
}

beforeEach(() => {
  clock = new FakeClock();
  closedWith = [];
  messages = [];
  upgraded = 0;
});

describe("polling", () => {
  test("the handshake GET carries the open packet; later GETs wait for packets", async () => {
    const s = session();
    const open = await get(s);
    expect(JSON.parse(open.slice(1))).toEqual({ sid: "sid1", upgrades: ["websocket"], pingInterval: 1000, pingTimeout: 500, maxPayload: 1000 });
    let body = "";
    s.poll((b) => (body = b));
    s.send({ type: "message", data: "a" });
    s.send({ type: "message", data: Buffer.from([1, 2]) });
    expect(body).toBe("");
    await Promise.resolve();
    expect(body).toBe("4a\x1ebAQI="); // one reply for the tick, binary as base64
  });

  test("POST packets reach the message handler", () => {
    const s = session();
    expect(s.post("4hello\x1e4world\x1ebAQI=")).toBe(true);
    expect(messages).toEqual(["hello", "world", Buffer.from([1, 2])]);
    expect(s.post("")).toBe(false);
    expect(closedWith).toEqual(["parse error"]);
  });

  test("a GET while one is pending: the old one gets a close, the new one is refused, the session ends", async () => {
    const { s, reply } = await withPendingGet();
    expect(await get(s)).toBe("refused");
    expect(reply.body).toBe("1");
    expect(closedWith).toEqual(["transport error"]);
  });

  test("the client's close packet releases the pending GET with a noop", async () => {
    const { s, reply } = await withPendingGet();
    s.post("1");
    expect(reply.body).toBe("6");
    expect(closedWith).toEqual(["transport close"]);
  });

  test("a GET aborted by the client ends the session", async () => {
    const s = session();
    await get(s);
    const reply = () => {};
    s.poll(reply);
    s.pollAborted(reply);
    expect(closedWith).toEqual(["transport close"]);
  });

  test("server close: queued packets first, then the close packet on a GET of its own", async () => {
    const s = session();
    await get(s);
    s.send({ type: "message", data: "bye" });
    s.close();
    expect(s.state).toBe("closing");
    expect(await get(s)).toBe("4bye");
    expect(await get(s)).toBe("1");
    expect(closedWith).toEqual(["forced close"]);
  });

  test("a polling client that never fetches its packets is dropped past maxBufferedPackets", async () => {
    const s = session();
    await get(s);
    for (let i = 0; i < 5; i++) s.send({ type: "message", data: String(i) });
    expect(closedWith).toEqual([]);
    s.send({ type: "message", data: "one too many" });
    expect(closedWith).toEqual(["backpressure"]);
  });

  test("server close with nobody polling ends after closeTimeout", async () => {
    const s = session();
    await get(s);
    s.close();
    clock.advance(2999);
    expect(closedWith).toEqual([]);
    clock.advance(1);
    expect(closedWith).toEqual(["forced close"]);
    expect(clock.pending).toBe(0);
  });
});

describe("heartbeat", () => {
  test("ping every pingInterval; a pong keeps the session", async () => {
    const s = session();
    await get(s);
    for (let i = 0; i < 3; i++) {
      const poll = hold(s); // the client's GET waits for the ping
      clock.advance(1000);
      await Promise.resolve();
      expect(poll.body).toBe("2");
      clock.advance(400);
      s.post("3");
    }
    hold(s);
    clock.advance(999);
    expect(closedWith).toEqual([]);
  });

  test("no pong within pingTimeout closes the session", async () => {
    const s = session();
    await get(s);
    const poll = hold(s);
    clock.advance(1000);
    await Promise.resolve();
    expect(poll.body).toBe("2");
    hold(s); // it polls again, but never answers the ping
    clock.advance(499);
    expect(closedWith).toEqual([]);
    clock.advance(1);
    expect(closedWith).toEqual(["ping timeout"]);
    expect(clock.pending).toBe(0);
  });

  test("a polling client that does not come back for its next GET within pingTimeout is dropped", async () => {
    const s = session();
    expect((await get(s)).startsWith("0")).toBe(true); // the handshake, and nothing after it
    clock.advance(499);
    expect(closedWith).toEqual([]);
    clock.advance(1);
    expect(closedWith).toEqual(["ping timeout"]);
    expect(clock.pending).toBe(0);
  });

  test("the deadline for the next GET starts when a GET is answered; a held GET keeps the session", async () => {
    const s = session();
    await get(s);
    clock.advance(400);
    const poll = hold(s); // in time
    clock.advance(900); // held while waiting for the ping: no deadline runs
    expect(closedWith).toEqual([]);
    clock.advance(100); // the ping answers it; from now on the next GET is due within 500 ms
    await Promise.resolve();
    expect(poll.body).toBe("2");
    s.post("3");
    clock.advance(499);
    expect(closedWith).toEqual([]);
    clock.advance(1);
    expect(closedWith).toEqual(["ping timeout"]);
  });

  test("while an upgrade probe runs the client does not poll: no deadline until the probe is dropped", async () => {
    const { s, reply } = await withPendingGet();
    const link = new FakeLink();
    s.attachProbe(link);
    s.wsFrame(link, "2probe");
    await Promise.resolve();
    expect(reply.body).toBe("6"); // the GET released with a noop; the client pauses polling
    clock.advance(900);
    expect(closedWith).toEqual([]);
    s.wsFrame(link, "4no upgrade"); // the probe is abandoned: from now on the client must poll again
    expect(link.closed).not.toBeNull();
    clock.advance(499);
    expect(closedWith).toEqual([]);
    clock.advance(1); // 500 ms after the probe was dropped (the heartbeat would wait until 1500)
    expect(closedWith).toEqual(["ping timeout"]);
  });

  test("another packet while a pong is awaited refreshes the timeout once", () => {
    const s = session();
    clock.advance(1000 + 400);
    s.post("4still here");
    clock.advance(400);
    expect(closedWith).toEqual([]);
    s.post("4again");
    clock.advance(100);
    expect(closedWith).toEqual(["ping timeout"]);
  });

  test("a ping from the client is the wrong direction in v4", () => {
    const s = session();
    s.post("2");
    expect(closedWith).toEqual(["transport error"]);
  });
});

describe("websocket", () => {
  test("a direct WebSocket session gets the open packet without upgrades; frames in both directions", () => {
    const link = new FakeLink();
    const s = session(link);
    const [open] = link.take();
    expect(JSON.parse((open as string).slice(1)).upgrades).toEqual([]);
    s.wsFrame(link, "4hi");
    s.wsFrame(link, Uint8Array.from([9]));
    expect(messages).toEqual(["hi", Buffer.from([9])]);
    s.send({ type: "message", data: Buffer.from([7]) });
    expect(link.take()).toEqual([Buffer.from([7])]);
    s.wsClosed(link);
    expect(closedWith).toEqual(["transport close"]);
  });

  test("upgrade: probe answered, pending GET released, buffered packets move to the socket", async () => {
    const { s, reply } = await withPendingGet();
    const link = new FakeLink();
    expect(s.attachProbe(link)).toBe(true);
    expect(s.attachProbe(new FakeLink())).toBe(false); // one probe at a time
    s.wsFrame(link, "2probe");
    expect(link.take()).toEqual(["3probe"]);
    expect(reply.body).toBe("6");
    s.send({ type: "message", data: "queued" });
    s.wsFrame(link, "5");
    expect(s.transport).toBe("websocket");
    expect(upgraded).toBe(1);
    expect(link.take()).toEqual(["4queued"]);
    expect(s.attachProbe(new FakeLink())).toBe(false);
  });

  test("a probe that never sends the upgrade packet is dropped after upgradeTimeout", async () => {
    const s = session();
    await get(s);
    const link = new FakeLink();
    s.attachProbe(link);
    s.wsFrame(link, "2probe");
    clock.advance(1000);
    s.post("3"); // the polling side still answers pings
    clock.advance(1000);
    expect(link.closed?.code).toBe(1000);
    expect(s.transport).toBe("polling");
    expect(s.upgrading).toBe(false);
    expect(closedWith).toEqual([]);
  });

  test("anything but the probe dance on a probing socket abandons the upgrade", () => {
    const s = session();
    const link = new FakeLink();
    s.attachProbe(link);
    s.wsFrame(link, "4early");
    expect(link.closed).not.toBeNull();
    expect(messages).toEqual([]);
    expect(s.transport).toBe("polling");
  });
});
