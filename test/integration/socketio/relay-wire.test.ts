// The user/monitor relay on the wire (docs/socketio.md#events): raw Socket.IO frames over a
// WebSocket and over long-polling give the exact event names and payloads; socket.io-client 4.x in
// all three transport modes checks what a real client sees. With python-socketio:
// test/system/socketio/python.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectWire, decodeFrame as decode, ev, modes, SioTestClient, type Mode, type RelayFrame, Wire } from "../../helpers/clients/socketio.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";

let s: TestServer;
const cleanup: Array<() => void> = [];
let seq = 0;
const newId = () => `conf-${++seq}`;

beforeAll(async () => {
  s = await bootServer({});
});
afterAll(async () => {
  for (const f of cleanup) f();
  await s.stop();
});

/** A raw WebSocket connected to "/" (handshake and CONNECT consumed). */
async function raw(server = s, auth = ""): Promise<Wire> {
  const w = await connectWire(server.ws(""), auth); // the CONNECT reply carries a pid: connection state recovery
  cleanup.push(() => w.close());
  return w;
}
/**
 * The next n relay frames (waited for), decoded, followed by whatever else arrives within quietMs:
 * comparing the result with the n expected frames also checks that nothing more came.
 */
async function events(w: Wire, n: number, quietMs = 150): Promise<RelayFrame[]> {
  const got = (await w.packets(n)).map(decode);
  return [...got, ...(await w.drain(quietMs)).map(decode)];
}
/** Every frame that arrives within ms: for replies whose number the test does not fix. */
async function windowed(w: Wire, ms = 150): Promise<RelayFrame[]> {
  return (await w.drain(ms)).map(decode);
}
const allHaveReason = (frames: RelayFrame[]) =>
  frames.every(([k, , p]) => k === "other" || (typeof p === "object" && p !== null && typeof (p as any).reason === "string"));

async function rawMonitor(id = newId()): Promise<{ w: Wire; id: string }> {
  const w = await raw();
  w.send(ev("con", { monitor_id: id }));
  expect(await events(w, 1, 80)).toEqual([["event", "con ok", { reason: "ok" }]]);
  return { w, id };
}
async function rawUser(monitorId: string, online = true): Promise<Wire> {
  const w = await raw();
  w.send(ev("query", { monitor_id: monitorId }));
  expect(await events(w, 1, 80)).toEqual([["event", "query ok", { reason: "ok", online }]]);
  return w;
}

test("handshake defaults on /socket.io/: pingInterval 25000, pingTimeout 20000, maxPayload 1000000; CORS for any origin", async () => {
  const r = await fetch(`${s.http}/socket.io/?EIO=4&transport=polling`, { headers: { origin: "http://app.example" } });
  expect(r.status).toBe(200);
  expect(["*", "http://app.example"]).toContain(r.headers.get("access-control-allow-origin")!);
  const h = JSON.parse((await r.text()).slice(1));
  expect(h).toEqual({ sid: expect.any(String), upgrades: ["websocket"], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 });
  const w = await Wire.open(s.ws("/socket.io/?EIO=4&transport=websocket"));
  cleanup.push(() => w.close());
  expect(JSON.parse(((await w.next()) as string).slice(1))).toEqual({ ...h, sid: expect.any(String), upgrades: [] });
  const pre = await fetch(`${s.http}/socket.io/?EIO=4&transport=polling`, {
    method: "OPTIONS",
    headers: { origin: "http://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
  expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
});

describe("user: query", () => {
  test("query ok {reason, online}; the ack gets the very same payload", async () => {
    const m = await rawMonitor();
    const u = await raw();
    u.send(ev("query", { monitor_id: m.id }, 7));
    expect(await events(u, 2)).toEqual([
      ["event", "query ok", { reason: "ok", online: true }],
      ["ack", 7, { reason: "ok", online: true }],
    ]);
    u.send(ev("query", { monitor_id: newId(), extra: [1] }, 8)); // extra fields are fine
    expect(await events(u, 2)).toEqual([
      ["event", "query ok", { reason: "ok", online: false }],
      ["ack", 8, { reason: "ok", online: false }],
    ]);
  });

  const bad: unknown[] = [undefined, null, "m1", 5, [], {}, { monitor_id: "" }, { monitor_id: "x".repeat(65) }, { monitor_id: "a b" },
    { monitor_id: "a/b" }, { monitor_id: "é" }, { monitor_id: 7 }, { monitor_id: null }, { monitor_id: ["m"] }];
  test("a bad monitor_id: query failed {reason} (ack too), then DISCONNECT and the connection ends", async () => {
    for (const payload of bad) {
      const u = await raw();
      u.send(ev("query", payload, 1));
      const got = await u.packets(3);
      const [failed, ack] = got.slice(0, 2).map(decode);
      expect(failed![0]).toBe("event");
      expect(failed![1]).toBe("query failed");
      expect(typeof (failed![2] as any).reason).toBe("string");
      expect(ack).toEqual(["ack", 1, failed![2]]);
      expect(got[2]).toBe("41");
      await u.waitClose();
      expect(u.pending).toEqual([]); // nothing after the DISCONNECT
    }
  });

  test("monitor_id edges: 64 characters of [A-Za-z0-9_-] are fine", async () => {
    const u = await raw();
    u.send(ev("query", { monitor_id: "aZ09_-".padEnd(64, "q") }));
    expect(await events(u, 1)).toEqual([["event", "query ok", { reason: "ok", online: false }]]);
  });

  test("over long-polling: query failed and the DISCONNECT arrive, then the close packet on its own", async () => {
    const url = (sid?: string) => `${s.http}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}`;
    const sid = JSON.parse((await (await fetch(url())).text()).slice(1)).sid;
    await fetch(url(sid), { method: "POST", body: "40" });
    await (await fetch(url(sid))).text();
    await fetch(url(sid), { method: "POST", body: ev("query", { monitor_id: "" }) });
    const body = await (await fetch(url(sid))).text();
    expect(body.split("\x1e").map((p) => decode(p)[1])).toEqual(["query failed", "41"]);
    expect(await (await fetch(url(sid))).text()).toBe("1");
    expect((await fetch(url(sid))).status).toBe(400);
  });
});

describe("user: command send", () => {
  test("before a query: command failed {reason}, never ok", async () => {
    const u = await raw();
    u.send(ev("command send", { command: "x" }, 3));
    const got = await events(u, 2);
    expect(got.map((g) => g[1])).toEqual(["command failed", 3]);
    expect(got[0]![2]).toEqual(got[1]![2]);
    expect(typeof (got[0]![2] as any).reason).toBe("string");
  });

  test("monitor offline (never came, or left): command failed {reason:'monitor offline'}, never ok", async () => {
    const u = await rawUser(newId(), false);
    u.send(ev("command send", { command: "x" }, 1));
    expect(await events(u, 2)).toEqual([
      ["event", "command failed", { reason: "monitor offline" }],
      ["ack", 1, { reason: "monitor offline" }],
    ]);
    const m = await rawMonitor();
    const u2 = await rawUser(m.id);
    m.w.send("41"); // it leaves (a transport that just drops may come back: connection state recovery)
    m.w.close();
    expect((await events(u2, 1, 200)).map((e) => e[1])).toEqual(["monitor offline"]);
    u2.send(ev("command send", { command: "late" }));
    expect(await events(u2, 1)).toEqual([["event", "command failed", { reason: "monitor offline" }]]);
  });

  test("bad commands: command failed; 4096 characters (emoji too) are accepted", async () => {
    const m = await rawMonitor();
    const u = await rawUser(m.id);
    for (const payload of [undefined, null, "go", {}, { command: "" }, { command: 5 }, { command: null }, { command: ["a"] }, { command: "y".repeat(4097) }]) {
      u.send(ev("command send", payload));
      const got = await events(u, 1, 60);
      expect(got.map((g) => g[1])).toEqual(["command failed"]);
    }
    expect(await events(m.w, 0, 10)).toEqual([]);
    for (const command of ["y".repeat(4096), "😀".repeat(4096), "ünïcødé ✓ 007", '"quoted"']) {
      u.send(ev("command send", { command }));
      const [ok] = await events(u, 1, 80);
      expect(ok![1]).toBe("command ok");
      const [job] = await events(m.w, 1, 10);
      expect(job).toEqual(["event", "command do", { reason: expect.any(String), command, id: (ok![2] as any).id }]);
    }
  });

  test("command ok {reason, id} and its ack are identical; the monitor gets command do {command, id}; ids are unique", async () => {
    const m = await rawMonitor();
    const u = await rawUser(m.id);
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      u.send(ev("command send", { command: `c${i}` }, 100 + i));
      const [ok, ack] = await events(u, 2, 60);
      expect(ok).toEqual(["event", "command ok", { reason: "ok", id: expect.anything() }]);
      expect(ack).toEqual(["ack", 100 + i, ok![2]]);
      const id = (ok![2] as any).id;
      ids.add(id);
      expect(await events(m.w, 1, 10)).toEqual([["event", "command do", { reason: expect.any(String), command: `c${i}`, id }]]);
    }
    expect(ids.size).toBe(5);
  });
});

describe("monitor", () => {
  test("con ok; a taken id: con failed {reason:'monitor_id already registered'} (ack too), DISCONNECT, close; the holder carries on", async () => {
    const m = await rawMonitor();
    const dup = await raw();
    dup.send(ev("con", { monitor_id: m.id }, 4));
    const got = await dup.packets(3);
    expect(got.slice(0, 2).map(decode)).toEqual([
      ["event", "con failed", { reason: "monitor_id already registered" }],
      ["ack", 4, { reason: "monitor_id already registered" }],
    ]);
    expect(got[2]).toBe("41");
    await dup.waitClose();
    expect(dup.pending).toEqual([]);
    const u = await rawUser(m.id);
    u.send(ev("command send", { command: "still" }));
    expect((await events(m.w, 1)).map((e) => e[1])).toEqual(["command do"]);
  });

  test("a bad monitor_id: con failed {reason}, then DISCONNECT", async () => {
    for (const payload of [undefined, {}, { monitor_id: "" }, { monitor_id: "no spaces" }, { monitor_id: 12 }]) {
      const w = await raw();
      w.send(ev("con", payload));
      const got = await w.packets(2);
      expect(decode(got[0]!)[1]).toBe("con failed");
      expect(typeof (decode(got[0]!)[2] as any).reason).toBe("string");
      expect(got[1]).toBe("41");
      await w.waitClose();
      expect(w.pending).toEqual([]);
    }
  });

  test("command done {id} → command finish {reason, id} to that command's sender only; without id the oldest", async () => {
    const m = await rawMonitor();
    const u1 = await rawUser(m.id);
    const u2 = await rawUser(m.id);
    u1.send(ev("command send", { command: "a" }));
    u2.send(ev("command send", { command: "b" }));
    u1.send(ev("command send", { command: "c" }));
    const [a, c] = (await events(u1, 2)).map((e) => (e[2] as any).id);
    const [b] = (await events(u2, 1)).map((e) => (e[2] as any).id);
    await events(m.w, 3, 10);
    m.w.send(ev("command done", { id: b }));
    expect(await events(u2, 1)).toEqual([["event", "command finish", { reason: expect.any(String), id: b }]]);
    expect(await events(u1, 0, 10)).toEqual([]);
    m.w.send(ev("command done"));
    expect(await events(u1, 1)).toEqual([["event", "command finish", { reason: expect.any(String), id: a }]]);
    m.w.send(ev("command error", { reason: "jammed" }));
    expect(await events(u1, 1)).toEqual([["event", "command failed", { reason: "jammed", id: c }]]);
    expect(await events(u2, 0, 10)).toEqual([]);
  });

  test("command error {reason, id} → command failed {reason, id}", async () => {
    const m = await rawMonitor();
    const u = await rawUser(m.id);
    u.send(ev("command send", { command: "x" }));
    u.send(ev("command send", { command: "y" }));
    const [x, y] = (await events(u, 2)).map((e) => (e[2] as any).id);
    m.w.send(ev("command error", { reason: "no y", id: y }));
    expect(await events(u, 1)).toEqual([["event", "command failed", { reason: "no y", id: y }]]);
    m.w.send(ev("command done", { id: x }));
    expect(await events(u, 1)).toEqual([["event", "command finish", { reason: expect.any(String), id: x }]]);
  });

  test("a monitor that disconnects fails each unfinished command to its sender with 'monitor disconnected'", async () => {
    const m = await rawMonitor();
    const u1 = await rawUser(m.id);
    const u2 = await rawUser(m.id);
    u1.send(ev("command send", { command: "1" }));
    u2.send(ev("command send", { command: "2" }));
    u1.send(ev("command send", { command: "3" }));
    const ids1 = (await events(u1, 2)).map((e) => (e[2] as any).id);
    const ids2 = (await events(u2, 1)).map((e) => (e[2] as any).id);
    m.w.send(ev("command done", { id: ids1[0] }));
    await events(u1, 1, 60);
    m.w.send("41"); // leaves the namespace; the pending ones fail
    const got1 = await events(u1, 2);
    expect(got1).toContainEqual(["event", "command failed", { reason: "monitor disconnected", id: ids1[1] }]);
    expect(got1).toContainEqual(["event", "monitor offline", { reason: expect.any(String), monitor_id: m.id }]);
    expect(got1.filter((e) => e[1] === "command failed").length).toBe(1);
    expect(await events(u2, 2)).toContainEqual(["event", "command failed", { reason: "monitor disconnected", id: ids2[0] }]);
  });

  test("users that queried a monitor hear monitor online / monitor offline with its monitor_id", async () => {
    const id = newId();
    const u = await rawUser(id, false);
    const m = await raw();
    m.send(ev("con", { monitor_id: id }));
    await events(m, 1, 60);
    expect(await events(u, 1)).toEqual([["event", "monitor online", { reason: expect.any(String), monitor_id: id }]]);
    m.send("41"); // it leaves (a transport that just drops may come back: connection state recovery)
    m.close();
    expect(await events(u, 1, 200)).toEqual([["event", "monitor offline", { reason: expect.any(String), monitor_id: id }]]);
  });
});

test("an event the relay does not know (the original's own 'send' example) gets error {reason} and its ack; the connection stays", async () => {
  const w = await raw();
  w.send(ev("send", { message: "hello server!" }, 9));
  w.send(ev("Query", { monitor_id: "m" }));
  expect(await events(w, 3)).toEqual([
    ["event", "error", { reason: "unknown event", event: "send" }],
    ["ack", 9, { reason: "unknown event", event: "send" }],
    ["event", "error", { reason: "unknown event", event: "Query" }],
  ]);
  w.send(ev("query", { monitor_id: "still-fine" }));
  expect(await events(w, 1)).toEqual([["event", "query ok", { reason: "ok", online: false }]]);
});

test("every payload the relay emits is an object with a reason string", async () => {
  const m = await rawMonitor();
  const u = await rawUser(m.id);
  const seen: RelayFrame[] = [];
  u.send(ev("command send", { command: "go" }, 1));
  u.send(ev("command send", { command: "" }, 2));
  seen.push(...(await windowed(u)));
  seen.push(...(await windowed(m.w, 10)));
  m.w.send(ev("command done", {}, 3));
  m.w.send(ev("command done", { id: "nope" }, 4));
  m.w.send(ev("command error", { reason: 9 }, 5));
  seen.push(...(await windowed(m.w)), ...(await windowed(u, 10)));
  expect(seen.length).toBeGreaterThan(8);
  expect(allHaveReason(seen)).toBe(true);
});

describe("real clients", () => {
  for (const mode of modes) {
    test(`socket.io-client (${mode}): user and monitor round trip, acks equal the reply events`, async () => {
      const c = async (auth?: Record<string, unknown>) => {
        const x = await SioTestClient.connect(s.http, mode as Mode, auth);
        cleanup.push(() => x.close());
        return x;
      };
      const id = newId();
      const m = await c();
      expect(await m.emitWithAck("con", { monitor_id: id })).toEqual({ reason: "ok" });
      expect(await m.next("con ok")).toEqual({ reason: "ok" });
      const u = await c();
      const q = await u.emitWithAck("query", { monitor_id: id });
      expect(q).toEqual({ reason: "ok", online: true });
      expect(await u.next("query ok")).toEqual(q);
      const ok = await u.emitWithAck("command send", { command: "💡 on" });
      expect(await u.next("command ok")).toEqual(ok);
      expect(await m.next("command do")).toEqual({ reason: expect.any(String), command: "💡 on", id: ok.id });
      m.emit("command done", { id: ok.id });
      expect(await u.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
      const bad = await c();
      expect(await bad.emitWithAck("query", { monitor_id: "" })).toEqual(await bad.next("query failed"));
      expect(await bad.next("disconnect")).toBe("io server disconnect");
    });
  }
});
