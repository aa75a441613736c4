// /ws with what the real RopeScore clickers do on the wire
// (docs/common.md#compatibility-with-original-clients, docs/clicker.md#origin): the MicroPython
// clicker's handshake, its `SCORE <ticks_ms> <count>` and its habit of never reading after
// REGISTERED; the Espruino ws module's handshake and its pings with a payload; and sockets that
// vanish without a close frame.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { espruinoHandshake, micropythonHandshake, Pool, register, REGISTERED } from "../../helpers/clients/clicker.ts";
import { RawWs } from "../../helpers/raw-socket.ts";

let s: TestServer;
const pool = new Pool(() => s.ws("/ws"));
const raws: RawWs[] = [];
const raw = async (handshake: string[]) => {
  const r = await RawWs.open(s.port, handshake);
  raws.push(r);
  return r;
};
beforeAll(async () => {
  s = await bootServer({ pingIntervalMs: 200, idleTimeoutMs: 600 });
});
afterEach(() => {
  pool.closeAll();
  for (const r of raws.splice(0)) r.drop();
});
afterAll(() => s.stop());

describe("real clicker clients", () => {
  test("MicroPython clicker: exact 101 status line, REGISTERED is the very next frame, scores flow though it never reads", async () => {
    const dev = await raw(micropythonHandshake(s.port));
    // The device asserts the status line byte for byte.
    expect(dev.head.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
    dev.send("REGISTER");
    const reply = await dev.nextText();
    const m = REGISTERED.exec(reply);
    expect(m).not.toBeNull();
    const id = m![1]!;
    const board = await pool.listener(id, `CONNECT ${id}`);
    // ticks_ms() wraps at 2^30 on MicroPython; the count restarts at 1 on every boot.
    for (const [ts, n] of [[1073741800, 1], [1073741823, 2], [5, 3]] as const) {
      dev.send(`SCORE ${ts} ${n}`);
      expect(await board.next()).toBe(`SCORE ${ts} ${id} ${n}`);
    }
    await dev.until(() => dev.texts.length === 3);
    expect(dev.texts.splice(0)).toEqual(["SCORED 1073741800", "SCORED 1073741823", "SCORED 5"]);
  });

  test("Espruino clicker: its handshake works, a ping with a payload is answered, Date.now()|0 timestamps are accepted", async () => {
    const dev = await raw(espruinoHandshake());
    expect(dev.head.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
    dev.send("REGISTER");
    const id = REGISTERED.exec(await dev.nextText())![1]!;
    dev.frame(0x9, "ping");
    await dev.until(() => dev.pongs.length > 0);
    expect(dev.pongs).toEqual(["ping"]);
    const board = await pool.listener(id, `CONNECT ${id}`);
    const ts = (1763780000123 | 0).toString(); // negative after the 32-bit truncation
    expect(ts.startsWith("-")).toBe(true);
    dev.send(`SCORE ${ts} 1`);
    expect(await dev.nextText()).toBe(`SCORED ${ts}`);
    expect(await board.next()).toBe(`SCORE ${ts} ${id} 1`);
  });

  test("a sender whose TCP connection drops without a close frame: listeners get DISCONNECT", async () => {
    const dev = await raw(micropythonHandshake(s.port));
    dev.send("REGISTER");
    const id = REGISTERED.exec(await dev.nextText())![1]!;
    const board = await pool.listener(id, `CONNECT ${id}`);
    dev.drop();
    expect(await board.next()).toBe(`DISCONNECT ${id}`);
    const late = await pool.listener(id, "CONNECT");
    expect(await late.quiet(100)).toBe(true);
  });

  test("a sender that goes silent (no pongs) is closed after the idle timeout and listeners get DISCONNECT", async () => {
    const dev = await raw(micropythonHandshake(s.port));
    dev.send("REGISTER");
    const id = REGISTERED.exec(await dev.nextText())![1]!;
    const board = await pool.listener(id, `CONNECT ${id}`);
    // The raw client never answers the server's pings.
    expect(await board.next(5000)).toBe(`DISCONNECT ${id}`);
    await dev.until(() => dev.ended, 5000);
  });

  test("a device that reconnects with its secret before its old TCP connection died keeps its id", async () => {
    const c = await pool.client();
    const r = await register(c, "REGISTER");
    const board = await pool.listener(r.id, `CONNECT ${r.id}`);
    const dev = await raw(espruinoHandshake());
    dev.send(`REGISTER ${r.secret}`);
    expect(await dev.nextText()).toBe(`REGISTERED ${r.id} ${r.secret}`);
    expect((await c.waitClose()).code).toBe(4001);
    expect(await board.next()).toBe(`CONNECT ${r.id}`);
    dev.send("SCORE 1 1");
    expect(await dev.nextText()).toBe("SCORED 1");
    expect(await board.next()).toBe(`SCORE 1 ${r.id} 1`);
    expect(await board.quiet(100)).toBe(true);
  });
});
