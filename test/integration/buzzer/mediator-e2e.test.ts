// End to end: receiver emulators on real ptys → the real server's serial driver → /mediator
// WebSocket clients.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { buzzerProtocol } from "../../../src/protocols/buzzer/plugin.ts";
import { isEvent, openMediator, untilJson } from "../../helpers/clients/buzzer.ts";
import { testPoolAllow, bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { waitFor, within } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";

const dir = tempDir("buzzer-e2e-");
const emus: ReceiverEmulator[] = [];
const clients: TestClient[] = [];
let s: TestServer;
let main: ReceiverEmulator;

async function emulator(name: string, opts: Parameters<typeof ReceiverEmulator.start>[0] = {}) {
  const e = await ReceiverEmulator.start({ link: `${dir}/${name}`, ...opts });
  emus.push(e);
  return e;
}
async function client() {
  const c = await openMediator(s.ws(""));
  clients.push(c);
  return c;
}
const json = untilJson;

beforeAll(async () => {
  main = await emulator("ttyMAIN", { buzzers: [1, 2, 3] });
  s = await bootServer(
    { poolAllow: testPoolAllow, pool: [main.path], rateLimit: 5, rateBurst: 5, rateQueue: 3 },
    { protocols: [buzzerProtocol({ connectTimeoutMs: 800, minBackoffMs: 30, maxBackoffMs: 150 })] },
  );
  await main.linked();
  // The emulator has sent the list; wait until the server has read it too (its pools gauge says so).
  await waitFor(async () => /^switchboard_buzzer_pools 1$/m.test(await (await fetch(s.http + "/metrics")).text()), { timeoutMs: 2000, everyMs: 20, what: "the pool in /metrics" }).catch(() => {});
});

afterAll(async () => {
  for (const c of clients) c.close();
  await s.stop();
  for (const e of emus) e.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("/mediator end to end", () => {
  test("a configured pool is connected at start; list buzzers and buzz with ts", async () => {
    const a = await client();
    const b = await client();
    a.send({ list: "buzzers" });
    expect(await a.nextJson()).toEqual({ response: "buzzers", pools: [{ pool: main.path, buzzers: [1, 2, 3] }] });
    a.send({ list: "pools" });
    const pools = await a.nextJson();
    expect(pools.response).toBe("pools");
    expect(pools.pools).toContain(main.path);

    expect(main.press(2)).toBe(true);
    const ea = await a.nextJson();
    const eb = await b.nextJson();
    expect(ea).toEqual({ event: "buzz", pool: main.path, buzzer: 2, ts: expect.any(Number) });
    expect(eb).toEqual(ea); // one event, every client
    main.press(3);
    const next = await a.nextJson();
    expect(next.buzzer).toBe(3);
    expect(next.ts).toBeGreaterThanOrEqual(ea.ts); // monotonic
  });

  test("buzzers connecting and disconnecting on the receiver", async () => {
    const c = await client();
    main.connect(7);
    expect(await json(c, isEvent("connected", main.path, 7))).toMatchObject({ buzzer: 7 });
    main.disconnect(7);
    expect(await json(c, isEvent("disconnected", main.path, 7))).toMatchObject({ buzzer: 7 });
  });

  test("connect command with the renumbered firmware; set_color reaches the receiver", async () => {
    const v2 = await emulator("ttyV2", { numbering: "v2", buzzers: [4, 5] });
    const c = await client();
    const watcher = await client();
    c.send({ command: "connect", pool: v2.path + "#v2" });
    expect(await json(c, (m) => m.result === "connect")).toEqual({ result: "connect", pool: v2.path, buzzers: [4, 5] });
    expect(await json(watcher, isEvent("connected", v2.path, 5))).toBeTruthy();
    v2.press(5);
    expect(await json(watcher, isEvent("buzz", v2.path))).toMatchObject({ buzzer: 5 });
    c.send({ command: "set_color", pool: v2.path, buzzer: 4, color: [255, 128, 0] });
    expect(await json(c, (m) => m.result === "set_color")).toEqual({ result: "set_color", pool: v2.path, buzzer: 4, color: [255, 128, 0] });
    await waitFor(() => v2.received.some((m) => m.type === "color"), { timeoutMs: 2000, what: "the colour at the receiver" }).catch(() => {});
    expect(v2.received).toContainEqual({ type: "color", id: 4, rgb: [255, 128, 0] });

    c.send({ command: "disconnect", pool: v2.path });
    expect(await json(c, (m) => m.result === "disconnect")).toEqual({ result: "disconnect", pool: v2.path });
    expect(await json(watcher, isEvent("disconnected", v2.path, null))).toBeTruthy();
    await waitFor(() => !v2.portOpen, { timeoutMs: 2000, what: "the port to close" }).catch(() => {});
    expect(v2.portOpen).toBe(false); // the port was really closed
  });

  test("the receiver going away and coming back: pool kept and re-announced", async () => {
    const c = await client();
    main.unplug();
    expect(await json(c, isEvent("disconnected", main.path, null))).toMatchObject({ buzzer: null });
    c.send({ list: "buzzers" });
    expect(await json(c, (m) => m.response === "buzzers")).toEqual({ response: "buzzers", pools: [] });
    await Bun.sleep(100); // the receiver stays away a while: the mediator's reopen attempts fail meanwhile
    await main.plug();
    for (const b of [1, 2, 3]) expect(await json(c, isEvent("connected", main.path, b))).toBeTruthy();
    c.send({ list: "buzzers" });
    expect(await json(c, (m) => m.response === "buzzers")).toEqual({ response: "buzzers", pools: [{ pool: main.path, buzzers: [1, 2, 3] }] });
    main.press(1);
    expect(await json(c, isEvent("buzz", main.path, 1))).toBeTruthy();
  });

  test("a receiver that answers late: ping, reset after 250 ms, handshake again", async () => {
    const c = await client();
    const before = main.handshakes;
    const pingsBefore = main.received.filter((m) => m.type === "ping").length;
    main.quiet(500);
    const down = await json(c, isEvent("disconnected", main.path, null));
    expect(main.received.filter((m) => m.type === "ping").length).toBeGreaterThan(pingsBefore);
    await waitFor(() => main.received.at(-1)?.type === "reset", { timeoutMs: 1000, everyMs: 5, what: "the reset" }).catch(() => {});
    expect(main.received.at(-1)).toEqual({ type: "reset" }); // the mediator said so before reopening
    const up = await json(c, isEvent("connected", main.path, 1));
    expect(up.ts).toBeGreaterThan(down.ts);
    expect(main.handshakes).toBe(before + 1);
  });

  test("receiver reboot (00) and an unknown opcode both lead to a fresh handshake", async () => {
    const c = await client();
    main.reboot();
    expect(await json(c, isEvent("disconnected", main.path, null))).toBeTruthy();
    expect(await json(c, isEvent("connected", main.path, 3))).toBeTruthy();
    main.raw([0x0e]);
    expect(await json(c, isEvent("disconnected", main.path, null))).toBeTruthy();
    expect(await json(c, isEvent("connected", main.path, 3))).toBeTruthy();
    main.press(2);
    expect(await json(c, isEvent("buzz", main.path, 2))).toBeTruthy();
  });

  test("connect errors: missing device, and a device that never answers", async () => {
    const c = await client();
    c.send({ command: "connect", pool: "/dev/ttyACM-missing" });
    expect(await c.nextJson()).toEqual({ error: "connect", message: "Couldn't open serial port '/dev/ttyACM-missing'", cause: null });
    const silent = await PtyMaster.open();
    try {
      c.send({ command: "connect", pool: silent.path });
      expect(await c.nextJson(3000)).toEqual({ error: "connect", message: `No answer from the buzzer receiver on '${silent.path}'`, cause: null });
      c.send({ list: "buzzers" });
      expect((await c.nextJson()).pools.map((p: { pool: string }) => p.pool)).not.toContain(silent.path); // not kept
    } finally {
      silent.close();
    }
  });

  test("malformed frames of every error type; raw frames come back byte for byte", async () => {
    const c = await client();
    const cases: Array<[string, object]> = [
      ["007", { error: "invalid_json", message: null, cause: "007" }],
      ["{nope", { error: "invalid_json", message: null, cause: "{nope" }],
      ['"x"', { error: "unknown_command", message: null, cause: '"x"' }],
      ["3", { error: "unknown_command", message: null, cause: "3" }],
      ['{"command":"launch"}', { error: "unknown_command", message: null, cause: '{"command":"launch"}' }],
      ['{"command":"connect","pool":3}', { error: "invalid_data_type", message: "expected a non-empty string (a pool id)", cause: "pool" }],
    ];
    for (const [raw, reply] of cases) {
      c.send(raw);
      expect(await c.nextJson()).toEqual(reply);
      await Bun.sleep(220); // paces the sender under this server's low rate limit (5/s): the errors, not the limit, are tested here
    }
    c.send({ list: "buzzers" });
    expect((await c.nextJson()).response).toBe("buzzers");
    expect(c.closed).toBeNull();
  });

  test("over the rate limit: the original error shape, then 1008", async () => {
    const c = await client();
    for (let i = 0; i < 30; i++) c.send({ list: "buzzers" });
    const got: any[] = [];
    while (!c.closed) {
      const m = await c.nextJson().catch(() => null);
      if (!m) break;
      got.push(m);
    }
    expect(got).toContainEqual({ error: "rate_limited", message: "too many messages waiting: slow down", cause: null });
    expect((await c.waitClose()).code).toBe(1008);
  });

  test("/metrics counts connected pools", async () => {
    const body = await (await fetch(s.http + "/metrics")).text();
    expect(body).toMatch(/^switchboard_buzzer_pools 1$/m);
  });
});

describe("/mediator lifecycle", () => {
  test("stop() closes every device; the emulator as a subprocess presses on schedule", async () => {
    const link = `${dir}/ttySUB`;
    const proc = Bun.spawn([process.execPath, "scripts/buzzer-emulator.ts", "--buzzers", "9", "--press", "9@150", "--link", link], {
      cwd: `${import.meta.dir}/../../..`,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    let srv: TestServer | null = null;
    try {
      const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
      const { value } = await reader.read();
      expect(new TextDecoder().decode(value).trim()).toBe(link);
      srv = await bootServer({ poolAllow: testPoolAllow, pool: [link] }, { protocols: [buzzerProtocol()] });
      const c = await openMediator(srv.ws(""));
      expect(await c.until((t) => t.includes('"buzz"'), 5000)).toMatch(/"pool":".*ttySUB","buzzer":9/);
      (proc.stdin as import("bun").FileSink).write("buzz 9\n");
      (proc.stdin as import("bun").FileSink).flush();
      expect(await c.until((t) => t.includes('"buzz"'), 3000)).toContain('"buzzer":9');
      await srv.stop();
      srv = null;
      // The emulator saw the port close: its stderr says so.
      const errReader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
      let err = "";
      const readUntilClosed = async () => {
        while (!err.includes("port closed")) {
          const r = await errReader.read();
          if (r.done) return;
          err += new TextDecoder().decode(r.value);
        }
      };
      await within(readUntilClosed(), 3000, "the emulator to report the port closed").catch(() => {});
      expect(err).toContain("port closed");
    } finally {
      await srv?.stop();
      proc.kill();
      await proc.exited;
    }
  });
});
