import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { echoProtocol } from "../../helpers/echo-protocol.ts";
import { waitFor } from "../../helpers/wait.ts";
import type { ProtocolFactory } from "../../../src/protocols/types.ts";
import type { Conn } from "../../../src/transport/types.ts";

describe("WebSocket seam", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await bootServer({ maxFrameBytes: 1024, rateLimit: 20, rateBurst: 10, rateQueue: 20, pingIntervalMs: 200, idleTimeoutMs: 400 }, { protocols: [echoProtocol] });
  });
  afterAll(() => s.stop());

  test("text frames arrive byte for byte", async () => {
    const c = await TestClient.open(s.ws("/test/echo"));
    for (const frame of ["007", '"x"', "3", "  spaced  ", "{\"a\":1}", "null", "é✓"]) {
      c.send(frame);
      expect(await c.next()).toBe(frame);
    }
    c.close();
  });

  test("a frame over the endpoint limit closes with 1009", async () => {
    const c = await TestClient.open(s.ws("/test/echo"));
    c.send("x".repeat(1025));
    expect((await c.waitClose()).code).toBe(1009);
  });

  test("rate limit: over the rate messages wait; past the queue, the error reply, then 1008", async () => {
    const c = await TestClient.open(s.ws("/test/echo"));
    for (let i = 0; i < 40; i++) c.send(String(i));
    const got: string[] = [];
    while (!c.closed || c.inbox.length) got.push(await c.next().catch(() => "closed"));
    // 10 at once; the next 20 wait; the 31st finds the queue full: the reply and 1008.
    expect(got.slice(0, 11)).toEqual([...Array.from({ length: 10 }, (_, i) => String(i)), "RATE LIMITED"]);
    expect((await c.waitClose()).code).toBe(1008);
  });

  test("a burst within the queue is handled in full and in order", async () => {
    const c = await TestClient.open(s.ws("/test/echo"));
    for (let i = 0; i < 30; i++) c.send(`b${i}`);
    for (let i = 0; i < 30; i++) expect(await c.next()).toBe(`b${i}`);
    expect(c.closed).toBeNull();
    c.close();
  });

  test("health counts live connections", async () => {
    const c = await TestClient.open(s.ws("/test/echo"));
    const h = (await (await fetch(s.http + "/healthz")).json()) as any;
    expect(h.status).toBe("ok");
    expect(h.connections.echo).toBeGreaterThanOrEqual(1);
    c.close();
  });

  test("/metrics is Prometheus text", async () => {
    const r = await fetch(s.http + "/metrics");
    expect(r.headers.get("content-type")).toContain("text/plain");
    const body = await r.text();
    expect(body).toMatch(/^switchboard_messages_in_total\{protocol="echo"\} \d+$/m);
    expect(body).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  test("a non-WebSocket request to an endpoint gets 426", async () => {
    const r = await fetch(s.http + "/test/echo");
    expect(r.status).toBe(426);
  });
});

describe("keepalive", () => {
  test("a client that never answers pings is closed after the idle timeout", async () => {
    const s = await bootServer({ pingIntervalMs: 100, idleTimeoutMs: 300 }, { protocols: [echoProtocol] });
    try {
      const { silentWebSocket } = await import("../../helpers/raw-socket.ts");
      const { closed } = await silentWebSocket(s.port, "/test/echo");
      const t0 = performance.now();
      await closed;
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(250); // not before the idle timeout (sweep granularity aside)
      const h = (await (await fetch(s.http + "/healthz")).json()) as any;
      expect(h.connections.echo).toBe(0);
    } finally {
      await s.stop();
    }
  });
});

describe("graceful stop", () => {
  test("open sockets are closed with 1001", async () => {
    const s = await bootServer({}, { protocols: [echoProtocol] });
    const c = await TestClient.open(s.ws("/test/echo"));
    const closed = c.waitClose();
    await s.stop();
    expect((await closed).code).toBe(1001);
  });
});

describe("robustness of the seam", () => {
  // A test-only endpoint whose handler is async and fails after an await, and whose plugin
  // never finishes stopping (a device that hangs on close).
  const faulty: ProtocolFactory = ({ transport }) => {
    const ep = transport.endpoint<null>({
      protocol: "faulty",
      async message(conn, data) {
        await Bun.sleep(1); // fails after an await: the async handler is the point
        if (data === "boom") throw new Error("async handler bug");
        conn.send(data as string);
      },
    });
    return {
      name: "faulty",
      routes: (app) => app.get("/test/faulty", ({ request, server }) => (server && ep.upgrade(request, server, null) ? undefined : new Response("", { status: 426 }))),
      stop: () => new Promise<void>(() => {}),
    };
  };

  test("an async handler that rejects closes that socket with 1011; the server and other sockets go on", async () => {
    const s = await bootServer({}, { protocols: [faulty, echoProtocol] });
    try {
      const bad = await TestClient.open(s.ws("/test/faulty"));
      const other = await TestClient.open(s.ws("/test/echo"));
      bad.send("boom");
      expect((await bad.waitClose()).code).toBe(1011);
      other.send("still here");
      expect(await other.next()).toBe("still here");
      other.close();
    } finally {
      await s.stop();
    }
  });

  test("a plugin that never finishes stopping does not keep sockets from their 1001", async () => {
    const s = await bootServer({}, { protocols: [faulty, echoProtocol] });
    const c = await TestClient.open(s.ws("/test/echo"));
    const closed = c.waitClose(4000);
    const t0 = performance.now();
    await s.stop();
    expect((await closed).code).toBe(1001);
    expect(performance.now() - t0).toBeLessThan(4000);
  });
});

describe("frames to another connection", () => {
  // A test-only relay: "to N k" from one connection sends connection N k frames from that handler,
  // with a topic publish in the middle, and one more frame from a timer afterwards.
  const relay: ProtocolFactory = ({ transport }) => {
    const peers = new Map<number, Conn>();
    const topics = transport.topics("relay");
    const ep = transport.endpoint<null>({
      protocol: "relay",
      open(conn) {
        peers.set(conn.id, conn);
        conn.subscribe("relay-all");
        conn.send(`id ${conn.id}`);
        return null;
      },
      message(conn, data) {
        const [, to, k] = String(data).split(" ");
        const peer = peers.get(Number(to))!;
        for (let i = 0; i < Number(k); i++) {
          peer.post(`a${i}`);
          if (i === 1) topics.publish("relay-all", "all");
        }
        conn.send("sent"); // the sender's own reply, written directly
        setTimeout(() => peer.send("late"), 5);
      },
      close: (conn) => void peers.delete(conn.id),
    });
    return { name: "relay", routes: (app) => app.get("/test/relay", ({ request, server }) => ep.accept(request, server, null)) };
  };

  test("arrive in the order they were sent, with topic publishes and timer sends in between", async () => {
    const s = await bootServer({}, { protocols: [relay] });
    try {
      const a = await TestClient.open(s.ws("/test/relay"));
      const b = await TestClient.open(s.ws("/test/relay"));
      const aId = (await a.next()).split(" ")[1];
      const bId = (await b.next()).split(" ")[1];
      const take = async (c: TestClient, n: number) => {
        const got: string[] = [];
        for (let i = 0; i < n; i++) got.push(await c.next());
        return got;
      };
      for (let round = 0; round < 3; round++) {
        a.send(`to ${bId} 5`);
        expect(await take(a, 2)).toEqual(["all", "sent"]);
        expect(await take(b, 7)).toEqual(["a0", "a1", "all", "a2", "a3", "a4", "late"]);
      }
      // Both ways, and to itself: its own handler writes directly, in order with the rest.
      b.send(`to ${aId} 2`);
      expect(await take(a, 4)).toEqual(["a0", "a1", "all", "late"]);
      expect(await take(b, 2)).toEqual(["all", "sent"]);
      b.send(`to ${bId} 3`);
      expect(await take(b, 6)).toEqual(["a0", "a1", "all", "a2", "sent", "late"]);
      expect(await take(a, 1)).toEqual(["all"]);
      a.close();
      b.close();
    } finally {
      await s.stop();
    }
  });
});

describe("graceful stop order", () => {
  test("new connections are refused from the moment stopping begins, while plugins are still stopping", async () => {
    // A plugin whose stop() finishes only when the test says so.
    let stopping = false;
    let finishStop!: () => void;
    const slowStop: ProtocolFactory = () => ({
      name: "slow",
      routes: (app) => app,
      stop: () => {
        stopping = true;
        return new Promise<void>((r) => (finishStop = r));
      },
    });
    const s = await bootServer({}, { protocols: [slowStop, echoProtocol] });
    const c = await TestClient.open(s.ws("/test/echo"));
    const closed = c.waitClose(4000);
    const stopped = s.stop();
    await waitFor(() => stopping, { what: "the slow plugin to be stopping" });
    expect(c.closed).toBeNull();
    const late = await TestClient.open(s.ws("/test/echo"), 1000).then(
      (x) => (x.close(), "accepted"),
      () => "refused",
    );
    expect(late).toBe("refused");
    finishStop();
    await stopped;
    expect((await closed).code).toBe(1001);
  });
});
