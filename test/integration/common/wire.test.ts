// The rules shared by every endpoint (docs/common.md#rules-shared-by-every-endpoint), checked on
// every WebSocket endpoint of the real server with real clients: raw frames byte for byte, the
// frame-size limit (1009), the rate limit (the protocol's error reply, then 1008), server pings
// and the idle close.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { handshake, RawWs, silentWebSocket } from "../../helpers/raw-socket.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { drain, endpoints, open, openSocketIO, sized } from "./endpoints.ts";

const LIMIT = 64 * 1024; // the default maximum frame size

describe("common rules with the default configuration", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer();
  });
  afterAll(() => s.stop());

  describe("text frames reach the handler byte for byte (007, \"x\", 3)", () => {
    const ask = async (path: string, greeting: number, frames: string[]) => {
      const c = await open(s.ws(path), greeting);
      const out: string[] = [];
      for (const f of frames) {
        c.send(f);
        out.push(await c.next());
      }
      expect(c.closed).toBeNull();
      c.close();
      return out;
    };

    for (const path of ["/connect", "/metronome"]) {
      test(`metronome ${path}: 007 is not JSON (-32700); "x" and 3 are JSON but not requests (-32600)`, async () => {
        const [a, b, c] = await ask(path, 1, ["007", '"x"', "3"]);
        expect(a).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}');
        expect(JSON.parse(b!).error.code).toBe(-32600);
        expect(JSON.parse(c!).error.code).toBe(-32600);
        expect(JSON.parse(b!).id).toBeNull();
      });
    }

    test("watch party: each is a bad_json error, 007 for not being JSON, the others for not being objects", async () => {
      const [a, b, c] = (await ask("/OpenSyncParty/ws", 0, ["007", '"x"', "3"])).map((f) => JSON.parse(f));
      for (const e of [a, b, c]) expect(e.type).toBe("error");
      expect(a.payload.code).toBe("bad_json");
      expect(b.payload.code).toBe("bad_json");
      expect(c.payload.code).toBe("bad_json");
      // "007" fails JSON.parse; "x" and 3 parse (to a string, a number) and fail the object check.
      expect(a.payload.message).not.toBe(c.payload.message);
      expect(b.payload.message).toBe(c.payload.message);
    });

    test("clicker: the verb is echoed exactly as sent", async () => {
      const out = await ask("/ws", 0, ["007", '"x"', "3"]);
      expect(out).toEqual(["ERROR unknown_command unknown command 007", 'ERROR unknown_command unknown command "x"', "ERROR unknown_command unknown command 3"]);
    });

    test("buzzer: the error's cause is the raw frame", async () => {
      const out = (await ask("/mediator", 0, ["007", '"x"', "3"])).map((f) => JSON.parse(f));
      expect(out).toEqual([
        { error: "invalid_json", message: null, cause: "007" },
        { error: "unknown_command", message: null, cause: '"x"' },
        { error: "unknown_command", message: null, cause: "3" },
      ]);
    });

    test("socket.io: the one-byte frame 3 is an Engine.IO pong and keeps the session alive", async () => {
      const t = await bootServer({ sioPingIntervalMs: 100, sioPingTimeoutMs: 150 });
      try {
        const c = await openSocketIO(`ws://127.0.0.1:${t.port}`);
        const until = Date.now() + 800; // several ping intervals, well past interval + timeout
        let pings = 0;
        while (Date.now() < until) {
          const f = await c.next(1000);
          expect(f).toBe("2");
          pings++;
          c.send("3");
        }
        expect(pings).toBeGreaterThanOrEqual(4);
        c.send('42["query",{"monitor_id":"007"}]');
        expect(JSON.parse((await c.until((f) => f.startsWith("42"))).slice(2))[0]).toBe("query ok");
        expect(c.closed).toBeNull();
        c.close();
      } finally {
        await t.stop();
      }
    });
  });

  describe("maximum frame size: 64 KiB by default, larger closes with 1009", () => {
    for (const ep of endpoints) {
      test(`${ep.name}: 65536 bytes are answered (ASCII and 2-byte UTF-8), 65537 close with 1009`, async () => {
        const c = await open(s.ws(ep.path), ep.greeting);
        const other = await open(s.ws(ep.path), ep.greeting);
        for (const fill of ["a", "é"]) {
          c.send(ep.padded(LIMIT, fill));
          await c.next(); // answered (whatever the protocol says about the padding), not closed
          expect(c.closed).toBeNull();
        }
        c.send(ep.padded(LIMIT + 1, "é"));
        expect((await c.waitClose()).code).toBe(1009);
        // 3-byte characters: the string is far shorter than 65537 code units, the frame is not.
        const c3 = await open(s.ws(ep.path), ep.greeting);
        const euro = ep.padded(LIMIT + 1, "€");
        expect(euro.length).toBeLessThan(LIMIT);
        c3.send(euro);
        expect((await c3.waitClose()).code).toBe(1009);
        const bin = await open(s.ws(ep.path), ep.greeting);
        bin.send(new Uint8Array(LIMIT + 1).fill(0x20));
        expect((await bin.waitClose()).code).toBe(1009);
        // Nobody else is disturbed.
        other.send(ep.request(7));
        expect(ep.isReply(await other.next())).toBe(true);
        other.close();
      });
    }

    test("frames far above every limit (3 MB) still close with 1009, on every endpoint", async () => {
      for (const ep of endpoints) {
        const c = await open(s.ws(ep.path), ep.greeting);
        c.send("x".repeat(3_000_000));
        expect((await c.waitClose()).code).toBe(1009);
      }
      const sio = await openSocketIO(s.ws(""));
      sio.send("4" + "x".repeat(3_000_000));
      expect((await sio.waitClose()).code).toBe(1009);
    });

    test("the limit is --max-frame-bytes", async () => {
      const t = await bootServer({ maxFrameBytes: 1000 });
      try {
        for (const ep of endpoints) {
          const c = await open(t.ws(ep.path), ep.greeting);
          c.send(ep.padded(1000, "é"));
          await c.next();
          c.send(ep.padded(1001, "é"));
          expect((await c.waitClose()).code).toBe(1009);
        }
      } finally {
        await t.stop();
      }
    });

    test("socket.io websocket transport: its frame limit is the advertised maxPayload (1000000)", async () => {
      const c = await openSocketIO(s.ws(""));
      const frame = sized('42["query",{"monitor_id":"m1","pad":"', '"}]', 1_000_000, "é");
      c.send(frame);
      expect(JSON.parse((await c.until((f) => f.startsWith("42"))).slice(2))[0]).toBe("query ok");
      c.send(sized('42["query",{"monitor_id":"m1","pad":"', '"}]', 1_000_001, "é"));
      expect((await c.waitClose()).code).toBe(1009);
    });
  });

  describe("rate limit with the defaults: a burst is answered, never refused", () => {
    for (const ep of endpoints) {
      test(`${ep.name}: 400 requests at once get 400 replies, in order`, async () => {
        const c = await open(s.ws(ep.path), ep.greeting);
        for (let i = 1; i <= 400; i++) c.send(ep.request(i));
        for (let i = 1; i <= 400; i++) expect(ep.isReply(await c.next(5000))).toBe(true);
        expect(c.closed).toBeNull();
        c.close();
      });
    }
  });
});

describe("rate limit: over the rate a message waits its turn; only a full queue is refused (docs/common.md#rate-limit)", () => {
  // 100 units/s, a burst of 10, at most 20 messages waiting.
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({ rateLimit: 100, rateBurst: 10, rateQueue: 20 });
  });
  afterAll(() => s.stop());

  for (const ep of endpoints) {
    test(`${ep.name}: 30 at once are all answered, in order, the last ones slowed to the rate`, async () => {
      const c = await open(s.ws(ep.path), ep.greeting);
      const t0 = performance.now();
      for (let i = 1; i <= 30; i++) c.send(ep.request(i));
      for (let i = 1; i <= 30; i++) expect(ep.isReply(await c.next(5000))).toBe(true);
      // 10 at once, then 20 at 100/s: the last one cannot be answered before ~200 ms.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
      expect(c.closed).toBeNull();
      c.close();
    });

    test(`${ep.name}: past the queue, the protocol's error reply, then 1008; others undisturbed`, async () => {
      const c = await open(s.ws(ep.path), ep.greeting);
      const other = await open(s.ws(ep.path), ep.greeting);
      for (let i = 1; i <= 100; i++) c.send(ep.request(i));
      const { frames, code } = await drain(c);
      expect(code).toBe(1008);
      expect(frames.at(-1) !== undefined && ep.isRateLimited(frames.at(-1)!)).toBe(true);
      expect(frames.filter(ep.isRateLimited).length).toBe(1);
      expect(frames.slice(0, -1).every(ep.isReply)).toBe(true);
      other.send(ep.request(1));
      expect(ep.isReply(await other.next())).toBe(true);
      other.close();
    });

    test(`${ep.name}: a steady sender over the sustained rate fills its queue and is closed`, async () => {
      const c = await open(s.ws(ep.path), ep.greeting);
      const reader = drain(c, 8000);
      for (let i = 1; i <= 600 && !c.closed; i++) {
        c.send(ep.request(i));
        c.send(ep.request(i));
        c.send(ep.request(i));
        await Bun.sleep(10); // paces the sender: a steady rate above the limit is the point
      }
      const { frames, code } = await reader;
      expect(code).toBe(1008);
      expect(frames.some(ep.isRateLimited)).toBe(true);
    }, 15_000);
  }

  test("a ping flood is work too: pings past the queue close the connection with 1008", async () => {
    const { pingFlood } = await import("../../helpers/raw-socket.ts");
    expect(await pingFlood(s.port, "/ws", 500)).toBe(1008);
  });

  test("each call of a JSON-RPC batch counts: a batch of 60 makes the next request wait for the rate", async () => {
    const c = await open(s.ws("/connect"), 1);
    const call = (id: number) => ({ jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id });
    c.send(JSON.stringify(Array.from({ length: 60 }, (_, i) => call(i + 1))));
    expect(JSON.parse(await c.next()).length).toBe(60);
    const t0 = performance.now();
    c.send(JSON.stringify(call(99)));
    expect(JSON.parse(await c.next(3000)).id).toBe(99);
    // 60 units against a burst of 10 at 100/s: ~500 ms of debt before the next one may go.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
    c.close();
  });
});

describe("server pings and idle close (configurable)", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({ pingIntervalMs: 100, idleTimeoutMs: 400 });
  });
  afterAll(() => s.stop());

  const paths = [...endpoints.map((e) => e.path), "/socket.io/?EIO=4&transport=websocket"];
  for (const path of paths) {
    test(`${path}: pings are sent; a client that answers stays, a silent one is closed`, async () => {
      const live = await TestClient.open(s.ws(path)); // Bun's client answers pings by itself
      const silent = await silentWebSocket(s.port, path);
      const t0 = performance.now();
      await silent.closed;
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(300);
      expect(waited).toBeLessThan(3000);
      await Bun.sleep(300); // a negative check: the live one is now past the idle timeout too, and still open
      expect(live.closed).toBeNull();
      live.close();
    });
  }

  test("the server sends WebSocket ping frames", async () => {
    const raw = await RawWs.open(s.port, handshake(s.port, "/mediator", { host: "x" }));
    expect(raw.head.slice(0, 12)).toBe("HTTP/1.1 101");
    await raw.until(() => raw.frames.length > 0);
    raw.end();
    expect(raw.frames[0]).toMatchObject({ fin: true, opcode: 0x9 }); // the first frame is a ping
  });
});
