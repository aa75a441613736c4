// /mediator's JSON side (docs/buzzer.md#commands-and-replies, #errors, #pools, and the common
// rules), black-box: exact replies and errors for good and bad frames, pools lists, connect
// failures, the disconnect/set_color extensions, and what the other clients see.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { testPoolAllow, bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { openMediator } from "../../helpers/clients/buzzer.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { waitFor } from "../../helpers/wait.ts";
import { receiverOnSocat, SocatPair } from "./serial-receiver.ts";

let srv: TestServer;
let configured: SocatPair;
const dir = tempDir("buzzer-conf-");
beforeAll(async () => {
  // A configured pool whose receiver never answers: listed as available, never connected.
  configured = await SocatPair.open();
  srv = await bootServer({ poolAllow: testPoolAllow, pool: [configured.ends[1]], rateLimit: 1000, rateBurst: 1000 });
}, 180_000);
afterAll(async () => {
  await srv.stop();
  await configured.close();
});

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
async function client(): Promise<TestClient> {
  const c = await openMediator(srv.ws(""));
  cleanup.push(() => c.close());
  return c;
}
const err = (error: string, message: string | null, cause: string | null) => JSON.stringify({ error, message, cause });

/** A live receiver on a fresh socat pair, connected by `c`; returns the pool id and the connect reply. */
async function linkedPool(c: TestClient, buzzers: number[]) {
  const { rx, pool } = await receiverOnSocat((f) => cleanup.push(f));
  rx.hello();
  c.send({ command: "connect", pool });
  await rx.next("ack");
  rx.write(buzzers.length, ...buzzers);
  return { rx, pool, reply: await c.nextJson() };
}

describe("/mediator errors, exactly the original {error, message, cause}", () => {
  test("invalid_json: message null, cause = the raw frame byte for byte; the connection stays open", async () => {
    const c = await client();
    const other = await client();
    for (const raw of ['{"list":', "", " ", "list pools", '{"list":"pools"}x', "{'list':'pools'}", '{"list":"🎉\\u12"}', "\u00e9\u0000"]) {
      c.send(raw);
      expect(await c.next()).toBe(err("invalid_json", null, raw));
    }
    c.send(new TextEncoder().encode("{nope"));
    expect(await c.next()).toBe(err("invalid_json", null, "{nope"));
    c.send({ list: "buzzers" });
    expect(JSON.parse(await c.next())).toMatchObject({ response: "buzzers" });
    expect(await other.quiet(50)).toBe(true);
  });

  test("unknown_command: message null, cause = the raw frame", async () => {
    const c = await client();
    for (const raw of [
      "{}", "[]", "42", "null", '"list"', "true", '{"list":"players"}', '{"command":"explode","pool":"x"}',
      '{"cmd":"connect"}', ' {"command" : "CONNECT", "pool":"/dev/x"} ', '[{"list":"pools"}]',
    ]) {
      c.send(raw);
      expect(await c.next()).toBe(err("unknown_command", null, raw));
    }
  });

  test("invalid_data_type: message says what was expected, cause = the field name", async () => {
    const c = await client();
    const cases: Array<[object, string]> = [
      [{ list: 5 }, "list"],
      [{ list: null }, "list"],
      [{ command: 1, pool: "/dev/x" }, "command"],
      [{ command: "connect" }, "pool"],
      [{ command: "connect", pool: 42 }, "pool"],
      [{ command: "connect", pool: null }, "pool"],
      [{ command: "connect", pool: ["/dev/x"] }, "pool"],
      [{ command: "disconnect", pool: false }, "pool"],
      [{ command: "set_color", pool: 1, buzzer: 1, color: [1, 2, 3] }, "pool"],
      [{ command: "set_color", pool: "/dev/x", buzzer: "1", color: [1, 2, 3] }, "buzzer"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 256, color: [1, 2, 3] }, "buzzer"],
      [{ command: "set_color", pool: "/dev/x", buzzer: -1, color: [1, 2, 3] }, "buzzer"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1.5, color: [1, 2, 3] }, "buzzer"],
      [{ command: "set_color", pool: "/dev/x", color: [1, 2, 3] }, "buzzer"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1, color: [1, 2] }, "color"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1, color: [1, 2, 3, 4] }, "color"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1, color: [1, 2, 256] }, "color"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1, color: "#ff0000" }, "color"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1, color: ["1", 2, 3] }, "color"],
      [{ command: "set_color", pool: "/dev/x", buzzer: 1 }, "color"],
    ];
    for (const [msg, cause] of cases) {
      c.send(msg);
      const e = await c.nextJson();
      expect(Object.keys(e)).toEqual(["error", "message", "cause"]);
      expect(e.error).toBe("invalid_data_type");
      expect(e.cause).toBe(cause);
      expect(typeof e.message).toBe("string");
      expect(e.message.length).toBeGreaterThan(0);
    }
  });

  test("connect errors: message = why, cause null; nothing is connected or announced", async () => {
    const c = await client();
    const other = await client();
    c.send({ command: "connect", pool: "/dev/ttyACM97" });
    expect(await c.next()).toBe(err("connect", "Couldn't open serial port '/dev/ttyACM97'", null));
    const file = `${dir}/not-a-tty`;
    writeFileSync(file, "x");
    c.send({ command: "connect", pool: file });
    const e = await c.nextJson();
    expect(e).toEqual({ error: "connect", message: expect.any(String), cause: null });
    expect(e.message).toContain(file);
    c.send({ list: "buzzers" });
    expect(await c.next()).toBe(JSON.stringify({ response: "buzzers", pools: [] }));
    expect(await other.quiet(50)).toBe(true);
  });

  test("set_color and disconnect on a pool that is not connected: invalid_data_type on pool", async () => {
    const c = await client();
    c.send({ command: "set_color", pool: "/dev/ttyACM97", buzzer: 1, color: [1, 2, 3] });
    expect(await c.nextJson()).toMatchObject({ error: "invalid_data_type", cause: "pool" });
    c.send({ command: "disconnect", pool: "/dev/ttyACM97" });
    expect(await c.nextJson()).toMatchObject({ error: "invalid_data_type", cause: "pool" });
  });
});

describe("/mediator pools and the extensions", () => {
  test("list pools: configured and connected pools and devices found under /dev, no duplicates", async () => {
    // A receiver that shows up as /dev/ttyACM<n> (socat's link= makes the name a symlink to the pty).
    const acm = `/dev/ttyACM${900 + (process.pid % 90)}`;
    const linked = Bun.spawn(["socat", "pty,raw,echo=0,link=" + acm, "pty,raw,echo=0"], { stderr: "ignore" });
    cleanup.push(async () => {
      linked.kill();
      await linked.exited;
    });
    await waitFor(() => existsSync(acm), { timeoutMs: 1000, everyMs: 5, what: `socat's link ${acm}` }).catch(() => {});
    const c = await client();
    const { pool, reply: connected } = await linkedPool(c, []);
    expect(connected).toEqual({ result: "connect", pool, buzzers: [] });
    c.send({ list: "pools" });
    const reply = await c.nextJson();
    expect(Object.keys(reply)).toEqual(["response", "pools"]);
    expect(reply.response).toBe("pools");
    expect(reply.pools).toContain(configured.ends[1]);
    expect(reply.pools).toContain(pool);
    expect(reply.pools).toContain(acm);
    expect(new Set(reply.pools).size).toBe(reply.pools.length);
    for (const p of reply.pools) expect(typeof p).toBe("string");
    // The empty pool is connected: listed with no buzzers.
    c.send({ list: "buzzers" });
    expect(await c.next()).toBe(JSON.stringify({ response: "buzzers", pools: [{ pool: pool, buzzers: [] }] }));
  });

  test("disconnect: result to the sender, disconnected with buzzer null to everyone, port released", async () => {
    const [a, b] = [await client(), await client()];
    const { rx, pool, reply } = await linkedPool(a, [42]);
    expect(reply).toEqual({ result: "connect", pool, buzzers: [42] });
    for (const c of [a, b]) expect(await c.nextJson()).toMatchObject({ event: "connected", pool: pool, buzzer: 42 });
    // A client that opens later still gets every event.
    const late = await client();
    rx.write(0x04, 42);
    for (const c of [a, b, late]) expect(await c.nextJson()).toMatchObject({ event: "buzz", pool: pool, buzzer: 42 });
    b.send({ command: "disconnect", pool: pool });
    expect(await b.next()).toBe(JSON.stringify({ result: "disconnect", pool: pool }));
    for (const c of [b, a, late]) expect(await c.nextJson()).toEqual({ event: "disconnected", pool: pool, buzzer: null, ts: expect.any(Number) });
    // Nothing from that receiver reaches clients any more, and the mediator stops pinging it.
    rx.write(0x04, 42);
    expect(await a.quiet(300)).toBe(true);
    const n = rx.msgs.length;
    await Bun.sleep(300); // a negative check: a ping would have come by now
    expect(rx.msgs.length).toBe(n);
    a.send({ list: "buzzers" });
    expect(await a.nextJson()).toEqual({ response: "buzzers", pools: [] });
  });

  test("ts is the receive time in ms on a monotonic clock", async () => {
    const c = await client();
    const { rx, pool } = await linkedPool(c, [1, 2]);
    await c.nextJson();
    await c.nextJson();
    rx.write(0x04, 1);
    const first = await c.nextJson();
    await Bun.sleep(60); // time between two presses: their ts difference is what is checked
    rx.write(0x04, 2);
    const second = await c.nextJson();
    expect(second.ts - first.ts).toBeGreaterThanOrEqual(50);
    expect(second.ts - first.ts).toBeLessThan(1000);
    // Several messages in one read, and one message split across reads, are all decoded in order.
    rx.write(0x04, 2, 0x04, 1, 0x06);
    await Bun.sleep(20); // two writes, so that one message is split across reads
    rx.write(9);
    const got = [await c.nextJson(), await c.nextJson(), await c.nextJson()].map(({ ts, ...e }) => e);
    expect(got).toEqual([
      { event: "buzz", pool: pool, buzzer: 2 },
      { event: "buzz", pool: pool, buzzer: 1 },
      { event: "connected", pool: pool, buzzer: 9 },
    ]);
  });
});

describe("/mediator and the common rules", () => {
  test("over the rate: the protocol's error reply, then close 1008; others undisturbed", async () => {
    const small = await bootServer({ poolAllow: testPoolAllow, rateLimit: 5, rateBurst: 5, rateQueue: 3 });
    cleanup.push(() => small.stop());
    const [c, other] = [await openMediator(small.ws("")), await openMediator(small.ws(""))];
    cleanup.push(() => other.close());
    for (let i = 0; i < 40; i++) c.send({ list: "pools" });
    const replies: string[] = [];
    const closed = await c.waitClose(3000);
    for (const m of c.inbox) replies.push(typeof m === "string" ? m : new TextDecoder().decode(m));
    expect(closed.code).toBe(1008);
    const limited = replies.map((r) => JSON.parse(r)).filter((r) => r.error);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(limited[0])).toEqual(["error", "message", "cause"]);
    other.send({ list: "buzzers" });
    expect(await other.nextJson()).toEqual({ response: "buzzers", pools: [] });
  });

  test("over the frame size: close 1009; a frame just under it is answered", async () => {
    const c = await client();
    const other = await client();
    const pad = (n: number) => JSON.stringify({ list: "nope", pad: "x".repeat(n) });
    const fits = pad(64 * 1024 - 40);
    expect(fits.length).toBeLessThanOrEqual(64 * 1024);
    c.send(fits);
    expect(await c.next()).toBe(err("unknown_command", null, fits));
    c.send(pad(64 * 1024));
    expect((await c.waitClose()).code).toBe(1009);
    other.send({ list: "buzzers" });
    expect(await other.nextJson()).toMatchObject({ response: "buzzers" });
  });

  test("/mediator over plain HTTP is refused with 426; list replies when nothing is connected", async () => {
    expect((await fetch(srv.http + "/mediator")).status).toBe(426);
    const c = await client();
    c.send({ list: "buzzers" });
    expect(await c.next()).toBe('{"response":"buzzers","pools":[]}');
    c.send('{"list":"pools"}');
    const pools = await c.nextJson();
    expect(pools).toEqual({ response: "pools", pools: expect.any(Array) });
  });

  test("/metrics counts connected buzzer pools; /healthz counts /mediator connections", async () => {
    await linkedPool(await client(), [1]);
    expect(await (await fetch(srv.http + "/metrics")).text()).toMatch(/^switchboard_buzzer_pools 1$/m);
    const health = (await (await fetch(srv.http + "/healthz")).json()) as { connections: Record<string, number> };
    expect(health.connections.buzzer).toBeGreaterThanOrEqual(1);
  });
});
