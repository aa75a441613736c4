// The relay (docs/socketio.md#events) end to end with real socket.io-client 4.x clients in every
// transport mode.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { modes, SioTestClient, type Mode } from "../../helpers/clients/socketio.ts";

let s: TestServer;
const open: SioTestClient[] = [];
let seq = 0;

async function client(mode: Mode, auth?: Record<string, unknown>, server = s): Promise<SioTestClient> {
  const c = await SioTestClient.connect(server.http, mode, auth);
  open.push(c);
  return c;
}

async function monitor(mode: Mode, id = `m${++seq}`): Promise<{ c: SioTestClient; id: string }> {
  const c = await client(mode);
  c.emit("con", { monitor_id: id });
  expect(await c.next("con ok")).toEqual({ reason: "ok" });
  return { c, id };
}

async function user(mode: Mode, monitorId: string): Promise<SioTestClient> {
  const c = await client(mode);
  const ack = await c.emitWithAck("query", { monitor_id: monitorId });
  expect(await c.next("query ok")).toEqual(ack);
  return c;
}

beforeAll(async () => {
  s = await bootServer({ sioPingIntervalMs: 400, sioPingTimeoutMs: 400 });
});
afterAll(async () => {
  for (const c of open) c.close();
  await s.stop();
});

for (const mode of modes) {
  describe(`socket.io-client, ${mode} transport`, () => {
    test("user → monitor command: ok, do, finish; error → failed; acks carry the reply payload", async () => {
      const m = await monitor(mode);
      const u = await user(mode, m.id);
      const ack = await u.emitWithAck("command send", { command: "light on" });
      expect(ack).toEqual({ reason: "ok", id: expect.any(String) });
      expect(await u.next("command ok")).toEqual(ack);
      const job = await m.c.next("command do");
      expect(job).toEqual({ reason: expect.any(String), command: "light on", id: ack.id });
      m.c.emit("command done", { id: job.id });
      expect(await u.next("command finish")).toEqual({ reason: expect.any(String), id: ack.id });

      u.emit("command send", { command: "jump" });
      const ok2 = await u.next("command ok");
      await m.c.next("command do");
      m.c.emit("command error", { reason: "cannot jump", id: ok2.id });
      expect(await u.next("command failed")).toEqual({ reason: "cannot jump", id: ok2.id });
      if (mode === "default") expect(u.transport).toBe("websocket"); // upgraded from polling
    });

    test("command done without an id finishes the oldest unfinished command", async () => {
      const m = await monitor(mode);
      const u = await user(mode, m.id);
      u.emit("command send", { command: "a" });
      u.emit("command send", { command: "b" });
      const a = await u.next("command ok");
      const b = await u.next("command ok");
      await m.c.next("command do");
      await m.c.next("command do");
      m.c.emit("command done");
      expect((await u.next("command finish")).id).toBe(a.id);
      m.c.emit("command error", { reason: "broken" });
      expect(await u.next("command failed")).toEqual({ reason: "broken", id: b.id });
    });
  });
}

describe("relay rules", () => {
  test("query with a bad monitor_id: query failed, then the server disconnects", async () => {
    for (const bad of [{ monitor_id: "" }, { monitor_id: "a b" }, { monitor_id: "x".repeat(65) }, {}, "m1"]) {
      const u = await client("websocket");
      u.emit("query", bad);
      expect((await u.next("query failed")).reason).toEqual(expect.any(String));
      expect(await u.next("disconnect")).toBe("io server disconnect");
    }
  });

  test("command send before a query, with a bad command, or to an offline monitor: command failed, never ok", async () => {
    const u = await client("polling");
    expect(await u.emitWithAck("command send", { command: "x" })).toEqual({ reason: "query a monitor first" });
    const ack = await u.emitWithAck("query", { monitor_id: "nobody-home" });
    expect(ack).toEqual({ reason: "ok", online: false });
    expect((await u.emitWithAck("command send", { command: "" })).reason).toContain("invalid command");
    expect((await u.emitWithAck("command send", { command: "y".repeat(4097) })).reason).toContain("invalid command");
    expect(await u.emitWithAck("command send", { command: "x" })).toEqual({ reason: "monitor offline" });
    expect(u.take("command ok")).toEqual([]);
  });

  test("a second monitor with a taken id gets con failed and is disconnected; the first keeps working", async () => {
    const m = await monitor("websocket");
    const dup = await client("polling");
    dup.emit("con", { monitor_id: m.id });
    expect(await dup.next("con failed")).toEqual({ reason: "monitor_id already registered" });
    expect(await dup.next("disconnect")).toBe("io server disconnect");
    const u = await user("websocket", m.id);
    u.emit("command send", { command: "still here" });
    expect((await m.c.next("command do")).command).toBe("still here");
  });

  test("users that queried a monitor hear it come online and go offline", async () => {
    const id = `m${++seq}`;
    const u = await user("default", id);
    const m = await monitor("polling", id);
    expect(await u.next("monitor online")).toEqual({ reason: expect.any(String), monitor_id: id });
    m.c.close();
    expect(await u.next("monitor offline")).toEqual({ reason: "monitor disconnected", monitor_id: id });
    expect(await u.emitWithAck("query", { monitor_id: id })).toEqual({ reason: "ok", online: false });
  });

  test("a monitor that disconnects fails its unfinished commands", async () => {
    const m = await monitor("websocket");
    const u = await user("polling", m.id);
    u.emit("command send", { command: "one" });
    u.emit("command send", { command: "two" });
    const ids = [(await u.next("command ok")).id, (await u.next("command ok")).id];
    await m.c.next("command do");
    await m.c.next("command do");
    m.c.close();
    const failed = [await u.next("command failed"), await u.next("command failed")];
    expect(failed).toEqual(ids.map((id) => ({ reason: "monitor disconnected", id })));
  });

  test("monitor-side mistakes get an error event and change nothing", async () => {
    const notMonitor = await client("websocket");
    expect(await notMonitor.emitWithAck("command done", { id: "nope" })).toEqual({ reason: "not a monitor: send con first" });
    expect(await notMonitor.next("error")).toEqual({ reason: "not a monitor: send con first" });
    const m = await monitor("websocket");
    expect(await m.c.emitWithAck("command done")).toEqual({ reason: "no unfinished command" });
    expect(await m.c.emitWithAck("command done", { id: "zz-1" })).toEqual({ reason: "unknown command id" });
    expect(await m.c.emitWithAck("command error", { reason: 5 })).toEqual({ reason: "invalid payload" });
  });
});

test("/metrics reports monitors and unfinished commands", async () => {
  const t = await bootServer({});
  try {
    const m = await client("websocket", undefined, t);
    m.emit("con", { monitor_id: "metered" });
    await m.next("con ok");
    const u = await client("polling", undefined, t);
    await u.emitWithAck("query", { monitor_id: "metered" });
    await u.emitWithAck("command send", { command: "wait" });
    const text = await (await fetch(t.http + "/metrics")).text();
    expect(text).toMatch(/^switchboard_socketio_monitors 1$/m);
    expect(text).toMatch(/^switchboard_socketio_pending_commands 1$/m);
    expect(text).toMatch(/^switchboard_connections\{protocol="socketio"\} 2$/m);
  } finally {
    await t.stop();
  }
});

describe("--sio-token", () => {
  test("connect needs auth {token}; the wrong one gets CONNECT_ERROR", async () => {
    const t = await bootServer({ sioToken: "s3cret" });
    try {
      for (const mode of ["websocket", "polling"] as Mode[]) {
        await expect(client(mode, undefined, t)).rejects.toThrow("invalid or missing auth token");
        await expect(client(mode, { token: "wrong" }, t)).rejects.toThrow("invalid or missing auth token");
        const ok = await client(mode, { token: "s3cret" }, t);
        ok.emit("con", { monitor_id: "tok" + mode });
        expect(await ok.next("con ok")).toEqual({ reason: "ok" });
        ok.close();
      }
    } finally {
      await t.stop();
    }
  });
});
