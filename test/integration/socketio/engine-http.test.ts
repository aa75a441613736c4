// The Engine.IO server on its edges: error catalog, maxPayload, overlapping polls, CORS,
// /healthz session counting, and rooms across transports (Bun topics + polling delivery).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";
import { Polling, SioTestClient, Wire, type Mode } from "../../helpers/clients/socketio.ts";
import { roomsProtocol } from "./rooms-protocol.ts";

let s: TestServer;
let poll: Polling;
const cleanup: Array<() => void> = [];
beforeAll(async () => {
  s = await bootServer({ sioMaxPayload: 2048, corsOrigin: ["http://good.example"] }, { protocols: [roomsProtocol] });
  poll = new Polling(s.http);
});
afterAll(async () => {
  for (const f of cleanup) f();
  await s.stop();
});
const health = async () => ((await (await fetch(s.http + "/healthz")).json()) as any).connections.socketio as number;
const until = (cond: () => Promise<boolean>) => waitFor(cond, { what: "the sessions to be counted" });

describe("error catalog", () => {
  test("unknown sid, unknown transport, EIO=3, bad handshake method", async () => {
    const cases: Array<[string, RequestInit, object]> = [
      ["EIO=4&transport=polling&sid=nope", {}, { code: 1, message: "Session ID unknown" }],
      ["EIO=4&transport=carrier-pigeon", {}, { code: 0, message: "Transport unknown" }],
      ["EIO=3&transport=polling", {}, { code: 5, message: "Unsupported protocol version" }],
      ["EIO=4&transport=polling", { method: "POST", body: "40" }, { code: 2, message: "Bad handshake method" }],
      ["EIO=4&transport=websocket", {}, { code: 3, message: "Bad request" }],
    ];
    for (const [q, init, body] of cases) {
      const r = await fetch(`${s.http}/socket.io/?${q}`, init);
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual(body);
    }
  });

  test("a malformed POST body is refused and ends the session", async () => {
    const { sid } = await poll.open();
    expect((await poll.post(sid, "9nonsense")).status).toBe(400);
    expect((await poll.get(sid)).status).toBe(400);
  });
});

describe("maxPayload", () => {
  test("a polling body over maxPayload gets 413 and the session is closed", async () => {
    const { sid, handshake } = await poll.open();
    expect(handshake.maxPayload).toBe(2048);
    expect((await poll.post(sid, "4" + "x".repeat(2048))).status).toBe(413);
    expect((await poll.get(sid)).status).toBe(400);
  });

  test("a WebSocket frame over maxPayload closes with 1009", async () => {
    const c = await Wire.open(s.ws("/socket.io/?EIO=4&transport=websocket"));
    await c.next();
    c.send("4" + "x".repeat(2048));
    expect((await c.waitClose()).code).toBe(1009);
  });
});

describe("polling", () => {
  test("a second concurrent GET gets 400 and ends the session; the first is released with a close", async () => {
    const { sid } = await poll.open();
    const held = s.pendingRequests();
    const first = poll.get(sid);
    await s.heldRequests(held + 1);
    expect((await poll.get(sid)).status).toBe(400);
    expect(await (await first).text()).toBe("1");
    expect((await poll.get(sid)).status).toBe(400);
  });

  test("packets queued before a server-side close are delivered before the close packet", async () => {
    const { sid } = await poll.open();
    await poll.post(sid, "40");
    await (await poll.get(sid)).text();
    await poll.post(sid, '42["bye"]'); // the server emits "bye", disconnects and ends the session
    expect(await (await poll.get(sid)).text()).toMatch(/^42\["bye","[0-9a-z]+"\]\x1e41$/); // with its recovery offset
    expect(await (await poll.get(sid)).text()).toBe("1");
    expect((await poll.get(sid)).status).toBe(400);
  });
});

describe("a throwing handler is a bug that costs only its own session", () => {
  test("polling: 500 and the session is gone; websocket: 1011; others carry on", async () => {
    const bystander = await SioTestClient.connect(s.http, "websocket");
    cleanup.push(() => bystander.close());
    const { sid } = await poll.open();
    await poll.post(sid, "40");
    await (await poll.get(sid)).text();
    expect((await poll.post(sid, '42["boom"]')).status).toBe(500);
    expect((await poll.get(sid)).status).toBe(400);
    const c = await Wire.open(s.ws("/socket.io/?EIO=4&transport=websocket"));
    await c.next();
    c.send("40");
    await c.next();
    c.send('42["boom"]');
    expect((await c.waitClose()).code).toBe(1011);
    expect(await bystander.emitWithAck("join", "still-alive")).toBe(1);
  });
});

describe("CORS", () => {
  test("a listed Origin is echoed with credentials and Vary: Origin; the preflight lists methods and headers", async () => {
    const r = await fetch(poll.url(), { headers: { origin: "http://good.example" } });
    expect(r.headers.get("access-control-allow-origin")).toBe("http://good.example");
    expect(r.headers.get("access-control-allow-credentials")).toBe("true");
    expect(r.headers.get("vary")).toBe("Origin");
    const pre = await fetch(poll.url(), {
      method: "OPTIONS",
      headers: { origin: "http://good.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://good.example");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type");
  });

  test("an Origin outside the list (or none) is served without CORS headers (the browser withholds it)", async () => {
    for (const headers of [{ origin: "http://evil.example" }, { origin: "null" }, {}] as Record<string, string>[]) {
      const r = await fetch(poll.url(), { headers });
      expect(r.status).toBe(200);
      expect(r.headers.get("access-control-allow-origin")).toBeNull();
      expect(r.headers.get("access-control-allow-credentials")).toBeNull();
      const pre = await fetch(poll.url(), { method: "OPTIONS", headers: { ...headers, "access-control-request-method": "POST" } });
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      expect(pre.headers.get("access-control-allow-methods")).toBeNull();
    }
  });

  test("the default '*' lets any origin read, never with credentials: no reflected Origin", async () => {
    const t = await bootServer({}, { protocols: [roomsProtocol] });
    try {
      const url = `${t.http}/socket.io/?EIO=4&transport=polling`;
      for (const headers of [{ origin: "http://evil.example" }, { origin: "null" }, {}] as Record<string, string>[]) {
        const r = await fetch(url, { headers });
        expect(r.status).toBe(200);
        expect(r.headers.get("access-control-allow-origin")).toBe("*");
        expect(r.headers.get("access-control-allow-credentials")).toBeNull();
        const pre = await fetch(url, { method: "OPTIONS", headers: { ...headers, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
        expect(pre.status).toBe(204);
        expect(pre.headers.get("access-control-allow-origin")).toBe("*");
        expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
      }
    } finally {
      await t.stop();
    }
  });

  test("'*' next to listed origins: credentials for the listed ones only, '*' for the rest", async () => {
    const t = await bootServer({ corsOrigin: ["*", "https://console.example"] }, { protocols: [roomsProtocol] });
    try {
      const url = `${t.http}/socket.io/?EIO=4&transport=polling`;
      const listed = await fetch(url, { headers: { origin: "https://console.example" } });
      expect(listed.headers.get("access-control-allow-origin")).toBe("https://console.example");
      expect(listed.headers.get("access-control-allow-credentials")).toBe("true");
      const other = await fetch(url, { headers: { origin: "https://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBe("*");
      expect(other.headers.get("access-control-allow-credentials")).toBeNull();
      expect(other.headers.get("vary")).toBe("Origin");
      // Error answers carry the same headers.
      const bad = await fetch(`${t.http}/socket.io/?EIO=3&transport=polling`, { headers: { origin: "https://evil.example" } });
      expect(bad.status).toBe(400);
      expect(bad.headers.get("access-control-allow-credentials")).toBeNull();
    } finally {
      await t.stop();
    }
  });
});

describe("/healthz counts Engine.IO sessions on every transport", () => {
  test("polling, websocket and upgraded sessions each count once", async () => {
    const base = await health();
    const clients = await Promise.all((["polling", "websocket", "default"] as Mode[]).map((m) => SioTestClient.connect(s.http, m)));
    await until(async () => clients[2]!.transport === "websocket");
    expect(await health()).toBe(base + 3);
    for (const c of clients) c.close();
    await until(async () => (await health()) === base);
  });
});

describe("graceful stop", () => {
  test("WebSocket sessions get 1001 and a pending long poll is released, not left hanging", async () => {
    const t = await bootServer({}, { protocols: [roomsProtocol] });
    const p = new Polling(t.http);
    const { sid } = await p.open();
    // Plugins stop before the HTTP server does, so the pending poll is answered with the close packet.
    const pending = p.get(sid).then(
      (r) => r.text(),
      () => "dropped",
    );
    const c = await Wire.open(t.ws("/socket.io/?EIO=4&transport=websocket"));
    await c.next();
    await t.heldRequests(1); // the poll is held: the only request on this server
    await t.stop();
    expect(await pending).toBe("1");
    expect((await c.waitClose()).code).toBe(1001);
  });
});

describe("rooms across transports", () => {
  test("joined while polling, upgraded, websocket: a broadcast reaches each member exactly once", async () => {
    const modes: Mode[] = ["polling", "websocket", "default"];
    const clients = await Promise.all(modes.map((m) => SioTestClient.connect(s.http, m)));
    for (const c of clients) cleanup.push(() => c.close());
    let size = 0;
    for (const c of clients) size = await c.emitWithAck("join", "lobby");
    expect(size).toBe(3);
    await until(async () => clients[2]!.transport === "websocket"); // joined before its upgrade
    const [p, w, d] = clients as [SioTestClient, SioTestClient, SioTestClient];

    w.emit("shout", "lobby", "from ws", 7);
    expect(await p.next("shout")).toBe("from ws");
    expect(await d.next("shout")).toBe("from ws");
    p.emit("shout", "lobby", "from polling");
    expect(await w.next("shout")).toBe("from polling");
    expect(await d.next("shout")).toBe("from polling");
    d.emit("all", "lobby", Buffer.from([1, 2, 3])); // binary goes member by member
    for (const c of clients) expect(new Uint8Array(await c.next("all"))).toEqual(Uint8Array.from([1, 2, 3]));

    expect(await p.emitWithAck("leave", "lobby")).toBe(2);
    w.emit("all", "lobby", "after leave");
    expect(await w.next("all")).toBe("after leave");
    expect(await d.next("all")).toBe("after leave");
    await Bun.sleep(100); // a negative check: a duplicated broadcast would have arrived by now
    for (const c of clients) expect(c.take("shout")).toEqual([]);
    expect(p.take("all")).toEqual([]);
  });
});
