// Conformance: the user/monitor relay (PROTOCOLS.md §4, seed 003) on the wire. Raw Socket.IO
// frames over a WebSocket and over long-polling give the exact event names and payloads;
// socket.io-client 4.x (all three transport modes) and python-socketio check what real clients see.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { ensurePythonSocketio, PyPeer } from "../../helpers/clients/python-socketio.ts";
import { modes, SioTestClient, type Mode } from "../../helpers/clients/socketio-client.ts";
import { Wire, type WireFrame } from "../../helpers/clients/socketio.ts";

let s: TestServer;
const cleanup: Array<() => void> = [];
let seq = 0;
const newId = () => `conf-${++seq}`;

beforeAll(async () => {
  ensurePythonSocketio();
  s = await bootServer({});
}, 300_000);
afterAll(async () => {
  for (const f of cleanup) f();
  await s.stop();
});

/** A raw WebSocket connected to "/" (handshake and CONNECT consumed). */
async function raw(server = s, auth = ""): Promise<Wire> {
  const w = await Wire.open(server.ws("/socket.io/?EIO=4&transport=websocket"));
  cleanup.push(() => w.close());
  await w.next();
  w.send(`40${auth}`);
  expect(await w.next()).toMatch(/^40\{"sid":"[^"]+"\}$/);
  return w;
}
const ev = (event: string, payload?: unknown, ackId?: number) =>
  `42${ackId ?? ""}${JSON.stringify(payload === undefined ? [event] : [event, payload])}`;
/** Decodes "42[...]" / "43n[...]" frames into [kind, event-or-ackid, payload]. */
function decode(f: WireFrame): [string, string | number, unknown] {
  if (typeof f !== "string") throw new Error("unexpected binary frame");
  const m = /^4([23])(\d*)(\[.*\])$/s.exec(f);
  if (!m) return ["other", f, null];
  const arr = JSON.parse(m[3]!) as unknown[];
  return m[1] === "2" ? ["event", arr[0] as string, arr[1]] : ["ack", Number(m[2]), arr[0]];
}
async function events(w: Wire, ms = 150): Promise<Array<[string, string | number, unknown]>> {
  return (await w.drain(ms)).map(decode);
}
const allHaveReason = (frames: Array<[string, string | number, unknown]>) =>
  frames.every(([k, , p]) => k === "other" || (typeof p === "object" && p !== null && typeof (p as any).reason === "string"));

async function rawMonitor(id = newId()): Promise<{ w: Wire; id: string }> {
  const w = await raw();
  w.send(ev("con", { monitor_id: id }));
  expect(await events(w, 80)).toEqual([["event", "con ok", { reason: "ok" }]]);
  return { w, id };
}
async function rawUser(monitorId: string, online = true): Promise<Wire> {
  const w = await raw();
  w.send(ev("query", { monitor_id: monitorId }));
  expect(await events(w, 80)).toEqual([["event", "query ok", { reason: "ok", online }]]);
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
    expect(await events(u)).toEqual([
      ["event", "query ok", { reason: "ok", online: true }],
      ["ack", 7, { reason: "ok", online: true }],
    ]);
    u.send(ev("query", { monitor_id: newId(), extra: [1] }, 8)); // extra fields are fine
    expect(await events(u)).toEqual([
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
      const got = await u.drain(100);
      expect(got.length).toBe(3);
      const [failed, ack] = got.slice(0, 2).map(decode);
      expect(failed![0]).toBe("event");
      expect(failed![1]).toBe("query failed");
      expect(typeof (failed![2] as any).reason).toBe("string");
      expect(ack).toEqual(["ack", 1, failed![2]]);
      expect(got[2]).toBe("41");
      await u.waitClose();
    }
  });

  test("monitor_id edges: 64 characters of [A-Za-z0-9_-] are fine", async () => {
    const u = await raw();
    u.send(ev("query", { monitor_id: "aZ09_-".padEnd(64, "q") }));
    expect(await events(u)).toEqual([["event", "query ok", { reason: "ok", online: false }]]);
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
    const got = await events(u);
    expect(got.map((g) => g[1])).toEqual(["command failed", 3]);
    expect(got[0]![2]).toEqual(got[1]![2]);
    expect(typeof (got[0]![2] as any).reason).toBe("string");
  });

  test("monitor offline (never came, or left): command failed {reason:'monitor offline'}, never ok", async () => {
    const u = await rawUser(newId(), false);
    u.send(ev("command send", { command: "x" }, 1));
    expect(await events(u)).toEqual([
      ["event", "command failed", { reason: "monitor offline" }],
      ["ack", 1, { reason: "monitor offline" }],
    ]);
    const m = await rawMonitor();
    const u2 = await rawUser(m.id);
    m.w.close();
    expect((await events(u2, 200)).map((e) => e[1])).toEqual(["monitor offline"]);
    u2.send(ev("command send", { command: "late" }));
    expect(await events(u2)).toEqual([["event", "command failed", { reason: "monitor offline" }]]);
  });

  test("bad commands: command failed; 4096 characters (emoji too) are accepted", async () => {
    const m = await rawMonitor();
    const u = await rawUser(m.id);
    for (const payload of [undefined, null, "go", {}, { command: "" }, { command: 5 }, { command: null }, { command: ["a"] }, { command: "y".repeat(4097) }]) {
      u.send(ev("command send", payload));
      const got = await events(u, 60);
      expect(got.map((g) => g[1])).toEqual(["command failed"]);
    }
    expect(await events(m.w, 10)).toEqual([]);
    for (const command of ["y".repeat(4096), "😀".repeat(4096), "ünïcødé ✓ 007", '"quoted"']) {
      u.send(ev("command send", { command }));
      const [ok] = await events(u, 80);
      expect(ok![1]).toBe("command ok");
      const [job] = await events(m.w, 10);
      expect(job).toEqual(["event", "command do", { reason: expect.any(String), command, id: (ok![2] as any).id }]);
    }
  });

  test("command ok {reason, id} and its ack are identical; the monitor gets command do {command, id}; ids are unique", async () => {
    const m = await rawMonitor();
    const u = await rawUser(m.id);
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      u.send(ev("command send", { command: `c${i}` }, 100 + i));
      const [ok, ack] = await events(u, 60);
      expect(ok).toEqual(["event", "command ok", { reason: "ok", id: expect.anything() }]);
      expect(ack).toEqual(["ack", 100 + i, ok![2]]);
      const id = (ok![2] as any).id;
      ids.add(id);
      expect(await events(m.w, 10)).toEqual([["event", "command do", { reason: expect.any(String), command: `c${i}`, id }]]);
    }
    expect(ids.size).toBe(5);
  });
});

describe("monitor", () => {
  test("con ok; a taken id: con failed {reason:'monitor_id already registered'} (ack too), DISCONNECT, close; the holder carries on", async () => {
    const m = await rawMonitor();
    const dup = await raw();
    dup.send(ev("con", { monitor_id: m.id }, 4));
    const got = await dup.drain(100);
    expect(got.slice(0, 2).map(decode)).toEqual([
      ["event", "con failed", { reason: "monitor_id already registered" }],
      ["ack", 4, { reason: "monitor_id already registered" }],
    ]);
    expect(got[2]).toBe("41");
    await dup.waitClose();
    const u = await rawUser(m.id);
    u.send(ev("command send", { command: "still" }));
    expect((await events(m.w)).map((e) => e[1])).toEqual(["command do"]);
  });

  test("a bad monitor_id: con failed {reason}, then DISCONNECT", async () => {
    for (const payload of [undefined, {}, { monitor_id: "" }, { monitor_id: "no spaces" }, { monitor_id: 12 }]) {
      const w = await raw();
      w.send(ev("con", payload));
      const got = await w.drain(100);
      expect(decode(got[0]!)[1]).toBe("con failed");
      expect(typeof (decode(got[0]!)[2] as any).reason).toBe("string");
      expect(got[1]).toBe("41");
      await w.waitClose();
    }
  });

  test("command done {id} → command finish {reason, id} to that command's sender only; without id the oldest", async () => {
    const m = await rawMonitor();
    const u1 = await rawUser(m.id);
    const u2 = await rawUser(m.id);
    u1.send(ev("command send", { command: "a" }));
    u2.send(ev("command send", { command: "b" }));
    u1.send(ev("command send", { command: "c" }));
    const [a, c] = (await events(u1)).map((e) => (e[2] as any).id);
    const [b] = (await events(u2)).map((e) => (e[2] as any).id);
    await events(m.w, 10);
    m.w.send(ev("command done", { id: b }));
    expect(await events(u2)).toEqual([["event", "command finish", { reason: expect.any(String), id: b }]]);
    expect(await events(u1, 10)).toEqual([]);
    m.w.send(ev("command done"));
    expect(await events(u1)).toEqual([["event", "command finish", { reason: expect.any(String), id: a }]]);
    m.w.send(ev("command error", { reason: "jammed" }));
    expect(await events(u1)).toEqual([["event", "command failed", { reason: "jammed", id: c }]]);
    expect(await events(u2, 10)).toEqual([]);
  });

  test("command error {reason, id} → command failed {reason, id}", async () => {
    const m = await rawMonitor();
    const u = await rawUser(m.id);
    u.send(ev("command send", { command: "x" }));
    u.send(ev("command send", { command: "y" }));
    const [x, y] = (await events(u)).map((e) => (e[2] as any).id);
    m.w.send(ev("command error", { reason: "no y", id: y }));
    expect(await events(u)).toEqual([["event", "command failed", { reason: "no y", id: y }]]);
    m.w.send(ev("command done", { id: x }));
    expect(await events(u)).toEqual([["event", "command finish", { reason: expect.any(String), id: x }]]);
  });

  test("a monitor that disconnects fails each unfinished command to its sender with 'monitor disconnected'", async () => {
    const m = await rawMonitor();
    const u1 = await rawUser(m.id);
    const u2 = await rawUser(m.id);
    u1.send(ev("command send", { command: "1" }));
    u2.send(ev("command send", { command: "2" }));
    u1.send(ev("command send", { command: "3" }));
    const ids1 = (await events(u1)).map((e) => (e[2] as any).id);
    const ids2 = (await events(u2)).map((e) => (e[2] as any).id);
    m.w.send(ev("command done", { id: ids1[0] }));
    await events(u1, 60);
    m.w.send("41"); // leaves the namespace; the pending ones fail
    const got1 = await events(u1);
    expect(got1).toContainEqual(["event", "command failed", { reason: "monitor disconnected", id: ids1[1] }]);
    expect(got1).toContainEqual(["event", "monitor offline", { reason: expect.any(String), monitor_id: m.id }]);
    expect(got1.filter((e) => e[1] === "command failed").length).toBe(1);
    expect(await events(u2)).toContainEqual(["event", "command failed", { reason: "monitor disconnected", id: ids2[0] }]);
  });

  test("users that queried a monitor hear monitor online / monitor offline with its monitor_id", async () => {
    const id = newId();
    const u = await rawUser(id, false);
    const m = await raw();
    m.send(ev("con", { monitor_id: id }));
    await events(m, 60);
    expect(await events(u)).toEqual([["event", "monitor online", { reason: expect.any(String), monitor_id: id }]]);
    m.close();
    expect(await events(u, 200)).toEqual([["event", "monitor offline", { reason: expect.any(String), monitor_id: id }]]);
  });
});

test("an event the relay does not know (the seed's own 'send' example) gets error {reason} and its ack; the connection stays", async () => {
  const w = await raw();
  w.send(ev("send", { message: "hello server!" }, 9));
  w.send(ev("Query", { monitor_id: "m" }));
  expect(await events(w)).toEqual([
    ["event", "error", { reason: "unknown event", event: "send" }],
    ["ack", 9, { reason: "unknown event", event: "send" }],
    ["event", "error", { reason: "unknown event", event: "Query" }],
  ]);
  w.send(ev("query", { monitor_id: "still-fine" }));
  expect(await events(w)).toEqual([["event", "query ok", { reason: "ok", online: false }]]);
});

test("every payload the relay emits is an object with a reason string", async () => {
  const m = await rawMonitor();
  const u = await rawUser(m.id);
  const seen: Array<[string, string | number, unknown]> = [];
  u.send(ev("command send", { command: "go" }, 1));
  u.send(ev("command send", { command: "" }, 2));
  seen.push(...(await events(u)));
  seen.push(...(await events(m.w, 10)));
  m.w.send(ev("command done", {}, 3));
  m.w.send(ev("command done", { id: "nope" }, 4));
  m.w.send(ev("command error", { reason: 9 }, 5));
  seen.push(...(await events(m.w)), ...(await events(u, 10)));
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

  test("--sio-token: CONNECT_ERROR carries a message and a reason; python and socket.io-client, both roles", async () => {
    const t = await bootServer({ sioToken: "tok3n" });
    try {
      const w = await Wire.open(t.ws("/socket.io/?EIO=4&transport=websocket"));
      cleanup.push(() => w.close());
      await w.next();
      w.send('40{"token":"wrong"}');
      const refusal = (await w.next()) as string;
      expect(refusal.startsWith("44")).toBe(true);
      const payload = JSON.parse(refusal.slice(2));
      expect(payload.message).toEqual(expect.any(String));
      expect(payload.reason).toEqual(expect.any(String));
      expect(payload.data).toEqual({ reason: payload.reason });

      const err = await SioTestClient.connect(t.http, "websocket", { token: "nope" }).catch((e) => e);
      expect(err.message).toBe(payload.message);
      expect(err.data).toEqual({ reason: payload.reason });

      const refused = PyPeer.start({ url: t.http, role: "monitor", monitorId: "py-refused", transport: "websocket", token: "nope" });
      cleanup.push(() => refused.kill());
      expect(await refused.next("connect_error")).toMatchObject({ message: payload.message, reason: payload.reason });
      const pm = PyPeer.start({ url: t.http, role: "monitor", monitorId: "py-tok", transport: "polling", token: "tok3n" });
      cleanup.push(() => pm.kill());
      expect(await pm.next("con ok")).toEqual({ reason: "ok" });
      const pu = PyPeer.start({ url: t.http, role: "user", monitorId: "py-tok", transport: "websocket", count: 2, token: "tok3n" });
      cleanup.push(() => pu.kill());
      expect(await pu.next("query ack")).toEqual({ reason: "ok", online: true });
      expect(await pu.next("summary")).toEqual({ finished: 2 });
    } finally {
      await t.stop();
    }
  }, 30_000);

  for (const transport of ["polling", "websocket"] as const) {
    test(`python user (${transport}): a bad monitor_id gets query failed, then the server disconnects it`, async () => {
      const p = PyPeer.start({ url: s.http, role: "user", monitorId: "bad id!", transport });
      cleanup.push(() => p.kill());
      const failed = await p.next("query failed");
      expect(failed).toEqual({ reason: expect.any(String) });
      expect(await p.next("query ack")).toEqual(failed);
      expect(await p.next("disconnected")).toBe(true);
      await p.proc.exited;
    }, 20_000);
  }
});

test("python monitor with a taken id: con failed, then disconnected", async () => {
  const holder = await rawMonitor();
  const p = PyPeer.start({ url: s.http, role: "monitor", monitorId: holder.id, transport: "websocket" });
  cleanup.push(() => p.kill());
  expect(await p.next("con failed")).toEqual({ reason: "monitor_id already registered" });
  expect(await p.next("disconnected")).toBe(true);
  await p.proc.exited;
}, 20_000);

test("heartbeat 300/200: idle real clients of every kind stay connected and keep working", async () => {
  const t = await bootServer({ sioPingIntervalMs: 300, sioPingTimeoutMs: 200 });
  try {
    const pm = PyPeer.start({ url: t.http, role: "monitor", monitorId: "hb-py", transport: "polling" });
    cleanup.push(() => pm.kill());
    expect(await pm.next("con ok")).toEqual({ reason: "ok" });
    const users: SioTestClient[] = [];
    for (const mode of modes) {
      const u = await SioTestClient.connect(t.http, mode);
      cleanup.push(() => u.close());
      expect(await u.emitWithAck("query", { monitor_id: "hb-py" })).toEqual({ reason: "ok", online: true });
      users.push(u);
    }
    await Bun.sleep(1600); // several ping rounds with nothing else on the wire
    for (const u of users) {
      expect(u.disconnected).toBeNull();
      const ok = await u.emitWithAck("command send", { command: "still there?" });
      expect(await u.next("command finish")).toEqual({ reason: expect.any(String), id: ok.id });
    }
  } finally {
    await t.stop();
  }
}, 30_000);

test("over the rate limit: the error reply, then close 1008 (common rules)", async () => {
  const t = await bootServer({ rateLimit: 5, rateBurst: 5 });
  try {
    const w = await raw(t);
    for (let i = 0; i < 40; i++) w.send(ev("command send", { command: "spam" }));
    const closed = await w.waitClose();
    expect(closed.code).toBe(1008);
  } finally {
    await t.stop();
  }
});
