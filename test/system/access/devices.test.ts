// Devices and operator rights on /mediator (docs/buzzer.md#which-devices-a-client-may-connect,
// docs/access.md#operator-rights), black-box against the real server: what an anonymous client
// could do before (open a terminal or a keyboard, disconnect the operator's pool) is refused, and
// the operator's flows still work.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { inputEvent } from "../../../src/drivers/keyboard/evdev.ts";
import { bootServer, operatorHeaders, TEST_OPERATOR_TOKEN, type TestServer } from "../../helpers/server.ts";
import { openMediator } from "../../helpers/clients/buzzer.ts";
import { ensureCommand } from "../../helpers/tools.ts";
import { waitFor } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { receiverOnSocat } from "../buzzer/serial-receiver.ts";

beforeAll(() => ensureCommand("socat"), 180_000);

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function server(overrides: Parameters<typeof bootServer>[0] = {}): Promise<TestServer> {
  const s = await bootServer(overrides);
  cleanup.push(() => s.stop());
  return s;
}
async function client(s: TestServer, headers?: Record<string, string>): Promise<TestClient> {
  const c = await openMediator(s.ws(""), headers ?? {});
  cleanup.push(() => c.close());
  return c;
}
async function pty(): Promise<PtyMaster> {
  const m = await PtyMaster.open();
  cleanup.push(() => m.close());
  return m;
}

/** The terminal settings of a tty, as stty prints them. */
const termios = (path: string) => Bun.spawnSync(["stty", "-F", path, "-a"]).stdout.toString();
/** Whether this process (the in-process server) holds `path` open. */
function heldOpen(path: string): boolean {
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) return true;
    } catch {
      // closed while listing
    }
  }
  return false;
}
const events = (c: TestClient) => c.inbox.map((m) => JSON.parse(String(m))).filter((m) => "event" in m);

describe("connect opens only devices the operator allowed", () => {
  test("a pseudo-terminal asked for by a client is not opened: the original connect error, termios untouched", async () => {
    const s = await server();
    const m = await pty();
    const before = termios(m.path);
    const c = await client(s);
    c.send({ command: "connect", pool: m.path });
    const reply = await c.nextJson();
    expect(reply).toEqual({ error: "connect", message: expect.stringContaining(m.path), cause: null });
    expect(heldOpen(m.path)).toBe(false);
    expect(termios(m.path)).toBe(before);
    // The operator asking changes nothing: rights do not widen the allow-list.
    const op = await client(s, operatorHeaders);
    op.send({ command: "connect", pool: m.path });
    expect((await op.nextJson()).error).toBe("connect");
    expect(heldOpen(m.path)).toBe(false);
  });

  test("a keyboard (#keyboard, or a path under /dev/input) is never opened or read", async () => {
    const s = await server();
    const m = await pty();
    m.raw();
    const c = await client(s);
    const watcher = await client(s);
    for (const pool of [m.path + "#keyboard", "/dev/input/event0", "/dev/input/by-id/usb-Some_Keyboard-event-kbd"]) {
      c.send({ command: "connect", pool });
      expect((await c.nextJson()).error).toBe("connect");
    }
    // Key-downs typed into it reach nobody: the server never read the device.
    m.write(inputEvent(1, 30, 1));
    expect(await watcher.quiet(200)).toBe(true);
    expect(heldOpen(m.path)).toBe(false);
  });

  test("paths that only look allowed are refused: .. out of by-id, relative paths", async () => {
    const s = await server();
    const m = await pty();
    const c = await client(s);
    const sneaky = "/dev/serial/by-id/../../" + m.path.slice("/dev/".length);
    for (const pool of [sneaky, "dev/ttyUSB0", "/dev/ttyUSB0/../" + m.path.slice(5)]) {
      c.send({ command: "connect", pool });
      expect((await c.nextJson()).error).toBe("connect");
    }
    expect(heldOpen(m.path)).toBe(false);
  });

  test("a --pool-allow pattern that names ptys lets a client connect one; list pools shows only allowed devices", async () => {
    const { rx, pool } = await receiverOnSocat((f) => cleanup.push(f));
    const other = await pty();
    const s = await server({ poolAllow: [pool] });
    const c = await client(s);
    c.send({ list: "pools" });
    const listed = (await c.nextJson()).pools as string[];
    expect(listed).toContain(pool);
    expect(listed).not.toContain(other.path);
    rx.firmware([3]).hello();
    c.send({ command: "connect", pool });
    expect(JSON.parse(await c.until((t) => t.includes('"result"')))).toEqual({ result: "connect", pool, buzzers: [3] });
    c.send({ command: "connect", pool: other.path });
    expect(JSON.parse(await c.until((t) => t.includes('"error"'))).error).toBe("connect");
  });
});

describe("commands that change a pool need operator rights", () => {
  test("an anonymous disconnect or set_color of the operator's --pool is refused and the pool stays", async () => {
    const { rx, pool } = await receiverOnSocat((f) => cleanup.push(f));
    rx.firmware([1, 2]).hello();
    const s = await server({ pool: [pool] });
    const anon = await client(s);
    await rx.next("ack");
    // Linked once the server has read the receiver's list, which only a list of buzzers shows.
    const linked = async () => {
      anon.send({ list: "buzzers" });
      return JSON.parse(await anon.until((t) => t.startsWith('{"response"'))).pools.length > 0;
    };
    await waitFor(linked, { everyMs: 20 }).catch(() => {});
    anon.inbox.length = 0;
    anon.send({ command: "disconnect", pool });
    expect(await anon.nextJson()).toEqual({ error: "forbidden", message: expect.stringContaining("operator"), cause: "disconnect" });
    anon.send({ command: "set_color", pool, buzzer: 1, color: [255, 0, 0] });
    expect(await anon.nextJson()).toEqual({ error: "forbidden", message: expect.stringContaining("operator"), cause: "set_color" });
    anon.send({ list: "buzzers" });
    expect(await anon.nextJson()).toEqual({ response: "buzzers", pools: [{ pool, buzzers: [1, 2] }] });
    expect(events(anon)).toEqual([]);

    // The operator (bearer header on the upgrade) may.
    const op = await client(s, operatorHeaders);
    op.send({ command: "set_color", pool, buzzer: 1, color: [255, 0, 0] });
    expect(await op.nextJson()).toEqual({ result: "set_color", pool, buzzer: 1, color: [255, 0, 0] });
    op.send({ command: "disconnect", pool });
    expect(await op.nextJson()).toEqual({ result: "disconnect", pool });
  });

  test("a wrong bearer token, or the operator cookie sent from a foreign Origin, grants nothing", async () => {
    const s = await server();
    const cookie = `switchboard_operator=${TEST_OPERATOR_TOKEN}`;
    const tries: Record<string, string>[] = [
      { authorization: "Bearer not-the-token" },
      { cookie, origin: "https://evil.example" },
      { cookie, origin: "null" },
    ];
    for (const headers of tries) {
      const c = await client(s, headers);
      c.send({ command: "disconnect", pool: "/dev/ttyACM0" });
      expect((await c.nextJson()).error).toBe("forbidden");
    }
    // The same cookie from the server's own origin (a console page served by it) is the operator.
    const own = await client(s, { cookie, origin: s.http });
    own.send({ command: "disconnect", pool: "/dev/ttyACM0" });
    expect((await own.nextJson()).error).toBe("invalid_data_type"); // past the rights check: no such pool
  });
});
