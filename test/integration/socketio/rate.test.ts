// The rate limit on /socket.io/ against the real server (docs/socketio.md#rate-limit): every
// Engine.IO/Socket.IO packet is a unit of work on either transport; over the rate packets wait in
// the session's queue and are handled in order; only past the queue the relay's reply, then the
// session is closed. A script's burst of commands completes; floods of acks, refused CONNECTs and
// ping frames end in the close while another session's round trips go on.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { RATE_LIMITED_TEXT } from "../../../src/transport/rate.ts";
import { ev, modes, Polling, SioTestClient, Wire, type Mode } from "../../helpers/clients/socketio.ts";
import { handshake, pingFlood, RawWs } from "../../helpers/raw-socket.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";

const WS_PATH = "/socket.io/?EIO=4&transport=websocket";
let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
let seq = 0;
/** The relay's rate-limit reply as an event frame (with its recovery offset, recovery being on). */
const reply = (event: string) => new RegExp(`^42\\["${event}",\\{"reason":"${RATE_LIMITED_TEXT}"\\}(,"[0-9a-z]+")?\\]$`);

async function client(server: TestServer, mode: Mode): Promise<SioTestClient> {
  const c = await SioTestClient.connect(server.http, mode);
  cleanup.push(() => c.close());
  return c;
}
async function monitor(server: TestServer, mode: Mode = "websocket"): Promise<{ c: SioTestClient; id: string }> {
  const id = `rate-${++seq}`;
  const c = await client(server, mode);
  c.emit("con", { monitor_id: id });
  expect(await c.next("con ok")).toEqual({ reason: "ok" });
  return { c, id };
}
async function user(server: TestServer, mode: Mode, monitorId: string): Promise<SioTestClient> {
  const c = await client(server, mode);
  expect(await c.emitWithAck("query", { monitor_id: monitorId })).toEqual({ reason: "ok", online: true });
  return c;
}

describe("with the defaults: a burst is slowed, never refused", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({});
  });
  afterAll(() => s.stop());

  for (const mode of modes) {
    test(`socket.io-client, ${mode}: a script sending 1000 command send back to back gets 1000 command ok, and the monitor 1000 command do, in order`, async () => {
      const m = await monitor(s);
      const u = await user(s, mode, m.id);
      for (let i = 0; i < 1000; i++) u.emit("command send", { command: `c${i}` });
      // 400 at once, then 200 a second: about 3 s.
      const oks: any[] = [];
      await waitFor(() => oks.push(...u.take("command ok")) >= 1000 || u.disconnected !== null, { timeoutMs: 20_000, what: "1000 command ok" });
      const dos: any[] = [];
      await waitFor(() => dos.push(...m.c.take("command do")) >= 1000, { timeoutMs: 5000, what: "1000 command do" });
      expect(u.take("command failed")).toEqual([]);
      expect(u.disconnected).toBeNull();
      expect(oks).toHaveLength(1000);
      expect(dos.map((d) => d.command)).toEqual(Array.from({ length: 1000 }, (_, i) => `c${i}`));
      expect(dos.map((d) => d.id)).toEqual(oks.map((o) => o.id));
    }, 30_000);
  }
});

describe("past the queue: the relay's reply, then the session is closed", () => {
  // 5 units a second, a burst of 5, at most 10 packets waiting.
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({ rateLimit: 5, rateBurst: 5, rateQueue: 10 });
  });
  afterAll(() => s.stop());

  test("socket.io-client: 40 command send at once: the first are answered, the one that finds the queue full gets command failed {reason}, then a disconnect", async () => {
    const u = await client(s, "websocket");
    for (let i = 0; i < 40; i++) u.emit("command send", { command: "spam" });
    expect(await u.next("disconnect")).toBe("transport close");
    const failed = u.take("command failed");
    expect(failed.at(-1)).toEqual({ reason: RATE_LIMITED_TEXT });
    expect(failed.filter((f) => f.reason === RATE_LIMITED_TEXT)).toHaveLength(1);
    // The CONNECT took a unit: 4 at once; the 10 that waited are dropped with the session.
    expect(failed.slice(0, -1).every((f) => f.reason === "query a monitor first")).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(6);
  });

  test("raw WebSocket: the refused event's ack gets the reply too, then close 1008; an ack or another packet gets error {reason}", async () => {
    const w = await Wire.open(s.ws(WS_PATH));
    cleanup.push(() => w.close());
    await w.next();
    w.send("40");
    await w.next();
    for (let i = 1; i <= 40; i++) w.send(ev("command send", { command: "x" }, i));
    const closed = await w.waitClose();
    expect(closed.code).toBe(1008);
    const [event, ack] = (w.pending as string[]).slice(-2);
    expect(event).toMatch(reply("command failed"));
    expect(ack).toMatch(new RegExp(`^43\\d+\\[\\{"reason":"${RATE_LIMITED_TEXT}"\\}\\]$`));

    const a = await Wire.open(s.ws(WS_PATH));
    cleanup.push(() => a.close());
    await a.next();
    a.send("40");
    await a.next();
    for (let i = 0; i < 40; i++) a.send("430[]");
    expect((await a.waitClose()).code).toBe(1008);
    expect(a.pending).toHaveLength(1);
    expect(a.pending[0]).toMatch(reply("error"));
  });

  test("long-polling: a POST of 40 packets is taken at once (ok); the reply comes on the next GET, then the session is closed", async () => {
    const p = new Polling(s.http);
    const { sid } = await p.open();
    expect(await (await p.post(sid, "40")).text()).toBe("ok");
    expect((await (await p.get(sid)).text()).startsWith("40")).toBe(true);
    const body = Array.from({ length: 40 }, () => ev("command send", { command: "x" })).join("\x1e");
    expect(await (await p.post(sid, body)).text()).toBe("ok");
    const got = await (await p.get(sid)).text();
    expect(got.split("\x1e").at(-1)).toMatch(reply("command failed"));
    const last = await p.get(sid);
    expect([200, 400]).toContain(last.status); // the close packet, or the session already gone
    if (last.status === 200) expect(await last.text()).toBe("1");
    await waitFor(async () => (await p.get(sid)).status === 400, { what: "the session to be gone" });
  });

  test("a WebSocket ping-frame flood on /socket.io/ is work too: closed with 1008", async () => {
    expect(await pingFlood(s.port, WS_PATH, 500)).toBe(1008);
  });

  test("the rate and the queue are per session: another session is answered while one's packets wait", async () => {
    const busy = await Wire.open(s.ws(WS_PATH));
    cleanup.push(() => busy.close());
    await busy.next();
    busy.send("40");
    await busy.next();
    for (let i = 1; i <= 12; i++) busy.send(ev("query", { monitor_id: "m" }, i)); // 4 at once, 8 waiting 1.6 s
    const other = await client(s, "websocket");
    expect(await other.emitWithAck("query", { monitor_id: "nobody" })).toEqual({ reason: "ok", online: false });
    expect(busy.pending.some((f) => String(f).startsWith("4312["))).toBe(false); // the last one still waits
    await busy.until((f) => f.startsWith("4312["), 5000); // and is answered in its turn
    expect(busy.closed).toBeNull();
  });
});

describe("floods as fast as a client can send end in the close, and another session goes on (defaults)", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({});
  });
  afterAll(() => s.stop());

  /**
   * One flooding client: a WebSocket session that sends `packet` in writes of 1000 frames until the
   * server closes it, then a new session, until `done()` (at most `maxSessions`). Returns the close
   * code and whether the relay's reply came, per session.
   */
  async function flooder(packet: string, done: () => boolean, maxSessions = 20): Promise<Array<{ code: number | null; replied: boolean; sent: number }>> {
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => RawWs.frame(0x1, packet)));
    const out: Array<{ code: number | null; replied: boolean; sent: number }> = [];
    while (!done() && out.length < maxSessions) {
      const ws = await RawWs.open(s.port, handshake(s.port, WS_PATH));
      cleanup.push(() => ws.drop());
      await ws.nextText(); // the open packet
      ws.send("40");
      let sent = 0;
      // Bounded: 200 writes (200,000 packets) or until the server cuts it off.
      for (let i = 0; i < 200 && ws.closeCode === null && !ws.ended; i++) {
        if (!(await ws.writeAll(chunk))) break;
        sent += 1000;
      }
      await ws.until(() => ws.closeCode !== null || ws.ended, 10_000).catch(() => {});
      out.push({ code: ws.closeCode, replied: ws.texts.some((t) => t.includes(RATE_LIMITED_TEXT)), sent });
      ws.end();
    }
    return out;
  }

  for (const packet of ["430[]", "40/nope,"]) {
    test(`three clients flooding ${packet} (each session closed with 1008 after the queue, then again): a user's 200 round trips all complete`, async () => {
      const u = await client(s, "websocket");
      let done = false;
      const floods = [flooder(packet, () => done), flooder(packet, () => done), flooder(packet, () => done)];
      let trips = 0;
      try {
        for (; trips < 200; trips++) expect(await u.emitWithAck("query", { monitor_id: "probe" })).toEqual({ reason: "ok", online: false });
      } finally {
        done = true;
      }
      const sessions = (await Promise.all(floods)).flat();
      expect(trips).toBe(200);
      expect(sessions.length).toBeGreaterThanOrEqual(3);
      for (const f of sessions) {
        expect(f.code).toBe(1008);
        expect(f.replied).toBe(true);
      }
      expect(u.disconnected).toBeNull();
    }, 30_000);
  }

  test("a polling POST of 150,000 acks: closed once its queue is full, the rest never handled; the server answers another session meanwhile", async () => {
    const p = new Polling(s.http);
    const { sid } = await p.open();
    await p.post(sid, "40");
    await (await p.get(sid)).text();
    const body = Array.from({ length: 150_000 }, () => "430[]").join("\x1e"); // 900 KB, under maxPayload
    const posted = p.post(sid, body);
    const u = await client(s, "websocket");
    expect(await u.emitWithAck("query", { monitor_id: "probe" })).toEqual({ reason: "ok", online: false });
    expect(await (await posted).text()).toBe("ok");
    expect(await (await p.get(sid)).text()).toMatch(reply("error"));
    await waitFor(async () => (await p.get(sid)).status === 400, { what: "the session to be gone" });
  });
});
