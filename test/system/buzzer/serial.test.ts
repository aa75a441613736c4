// /mediator with serial pools (docs/buzzer.md#serial-receivers), black-box: the real server,
// real WebSocket clients, and a receiver written in the test from the byte protocol alone,
// on the far end of a socat pty pair (the way an outside tester wires a fake Arduino).
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { testPoolAllow, bootServer, tempDir, type TestServer } from "../../helpers/server.ts";
import { nextEvent, openMediator } from "../../helpers/clients/buzzer.ts";
import { ensureCommand } from "../../helpers/tools.ts";
import { TestClient } from "../../helpers/ws-client.ts";
import { Receiver, receiverOnSocat, SocatPair, type Numbering } from "./serial-receiver.ts";

// socat is installed by SocatPair.open when the host lacks it; give the first install time.
beforeAll(() => ensureCommand("socat"), 180_000);

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function setup(opts: { numbering?: Numbering; configured?: boolean; clients?: number } = {}) {
  const { rx, pool } = await receiverOnSocat((f) => cleanup.push(f), opts.numbering);
  rx.autoPong = false; // each test says how alive its receiver is
  const spec = opts.numbering && opts.numbering !== "v1" ? `${pool}#${opts.numbering}` : pool;
  const srv: TestServer = await bootServer({ poolAllow: testPoolAllow, ...(opts.configured ? { pool: [spec] } : {}) });
  cleanup.push(() => srv.stop());
  const clients: TestClient[] = [];
  for (let i = 0; i < (opts.clients ?? 2); i++) {
    const c = await openMediator(srv.ws(""));
    cleanup.push(() => c.close());
    clients.push(c);
  }
  return { rx, pool, spec, srv, clients };
}


/** connect command, the receiver's hello and buzzer list; returns the connect reply text. */
async function connect(rx: Receiver, c: TestClient, spec: string, buzzers: number[], helloFirst = true): Promise<string> {
  if (helloFirst) rx.hello();
  c.send({ command: "connect", pool: spec });
  if (!helloFirst) {
    // Greets after the server opened the port; nothing the mediator writes announces the open.
    await Bun.sleep(50);
    rx.hello();
  }
  await rx.next("ack");
  rx.write(buzzers.length, ...buzzers);
  return c.next();
}

describe("/mediator serial pools (socat pty pair, hand-written receiver)", () => {
  for (const numbering of ["v1", "v2", "head"] as const) {
    test(`${numbering}: handshake, connect result, events to every client, set_color bytes`, async () => {
      const { rx, pool, spec, clients } = await setup({ numbering });
      const [a, b] = clients as [TestClient, TestClient];
      const ops = rx.ops;
      rx.autoPong = true;
      // docs/buzzer.md#byte-protocol: the mediator answers 00 42 00 with exactly 13 37, and nothing before it.
      const reply = await connect(rx, a, spec, [3, 1, 200]);
      expect(rx.msgs[0]).toMatchObject({ kind: "ack", bytes: [0x13, 0x37] });
      expect(JSON.parse(reply)).toEqual({ result: "connect", pool, buzzers: [1, 3, 200] });
      expect(Object.keys(JSON.parse(reply))).toEqual(["result", "pool", "buzzers"]);
      for (const c of [a, b]) {
        const got = [await nextEvent(c), await nextEvent(c), await nextEvent(c)];
        expect(got.map((e) => e.buzzer).sort((x, y) => x! - y!)).toEqual([1, 3, 200]);
        for (const e of got) expect(e).toMatchObject({ event: "connected", pool });
      }
      rx.write(ops.buzz, 3);
      for (const c of [a, b]) expect(await nextEvent(c)).toEqual({ event: "buzz", pool, buzzer: 3 });
      rx.write(ops.connected, 9);
      for (const c of [a, b]) expect(await nextEvent(c)).toEqual({ event: "connected", pool, buzzer: 9 });
      rx.write(ops.disconnected, 1);
      for (const c of [a, b]) expect(await nextEvent(c)).toEqual({ event: "disconnected", pool, buzzer: 1 });
      b.send({ list: "buzzers" });
      expect(await b.next()).toBe(JSON.stringify({ response: "buzzers", pools: [{ pool, buzzers: [3, 9, 200] }] }));
      // set_color: 05 id r g b (v2, head: 04 id r g b) on the wire.
      const from = rx.msgs.length;
      b.send({ command: "set_color", pool, buzzer: 9, color: [255, 2, 128] });
      expect((await rx.next("color", from)).bytes).toEqual([ops.color, 9, 255, 2, 128]);
      expect(await b.nextJson()).toMatchObject({ result: "set_color", pool, buzzer: 9 });
      // connect again: the same result with the current buzzers, no new events.
      a.send({ command: "connect", pool: spec });
      expect(await a.nextJson()).toEqual({ result: "connect", pool, buzzers: [3, 9, 200] });
      expect(await b.quiet(100)).toBe(true);
    });

    test(`${numbering}: ping after 100 ms of silence, pong within 100 ms, reset after 250 ms, re-announce`, async () => {
      const { rx, pool, spec, clients } = await setup({ numbering });
      const [a, b] = clients as [TestClient, TestClient];
      const ops = rx.ops;
      await connect(rx, a, spec, [5, 6], false);
      for (const c of [a, b]) for (let i = 0; i < 2; i++) await nextEvent(c);
      // The receiver pings: the pong comes back within 100 ms.
      for (let i = 0; i < 3; i++) {
        const from = rx.msgs.length;
        rx.write(ops.ping);
        const pong = await rx.next("pong", from);
        expect(pong.at - rx.lastWrite).toBeLessThan(100);
      }
      // Silence: a ping about 100 ms after our last byte; answering keeps the link up.
      for (let i = 0; i < 3; i++) {
        const from = rx.msgs.length;
        const ping = await rx.next("ping", from);
        const quietFor = ping.at - rx.lastWrite;
        expect(quietFor).toBeGreaterThanOrEqual(90);
        expect(quietFor).toBeLessThan(200);
        rx.write(ops.pong);
      }
      expect(b.inbox.length).toBe(0);
      // No answer: reset (01 on v1) and the whole pool is reported gone, about 250 ms after our last byte.
      const from = rx.msgs.length;
      const silentSince = rx.lastWrite;
      const gone = await nextEvent(b);
      const after = performance.now() - silentSince;
      expect(gone).toEqual({ event: "disconnected", pool, buzzer: null });
      expect(after).toBeGreaterThanOrEqual(240);
      expect(after).toBeLessThan(600);
      expect(await nextEvent(a)).toEqual({ event: "disconnected", pool, buzzer: null });
      if (ops.reset !== null) expect((await rx.next("reset", from)).bytes).toEqual([ops.reset]);
      a.send({ list: "buzzers" });
      expect(await a.nextJson()).toEqual({ response: "buzzers", pools: [] });
      // The device comes back (the receiver reboots and greets): the pool is re-announced.
      rx.autoPong = true;
      const again = rx.msgs.length;
      rx.hello();
      await rx.next("ack", again, 5000);
      rx.write(3, 5, 6, 7);
      for (const c of [a, b]) {
        const got = [await nextEvent(c), await nextEvent(c), await nextEvent(c)];
        expect(got).toEqual([5, 6, 7].map((buzzer) => ({ event: "connected", pool, buzzer })));
      }
      a.send({ list: "buzzers" });
      expect(await a.nextJson()).toEqual({ response: "buzzers", pools: [{ pool, buzzers: [5, 6, 7] }] });
    }, 15_000);

    test(`${numbering}: 00 42 VV while connected is a re-handshake; an unknown opcode resets the link`, async () => {
      const { rx, pool, spec, clients } = await setup({ numbering });
      const [a, b] = clients as [TestClient, TestClient];
      const ops = rx.ops;
      rx.autoPong = true;
      await connect(rx, a, spec, [1]);
      await nextEvent(b);
      let from = rx.msgs.length;
      rx.hello();
      await rx.next("ack", from);
      rx.write(2, 1, 2);
      const events = [await nextEvent(b), await nextEvent(b), await nextEvent(b)];
      expect(events.at(-1)).toEqual({ event: "connected", pool, buzzer: 2 });
      expect(events).toContainEqual({ event: "connected", pool, buzzer: 1 });
      rx.write(ops.buzz, 2);
      expect(await nextEvent(b)).toEqual({ event: "buzz", pool, buzzer: 2 });
      // An opcode neither firmware has: the link is reset.
      from = rx.msgs.length;
      rx.write(0x77);
      expect(await nextEvent(b)).toEqual({ event: "disconnected", pool, buzzer: null });
      if (ops.reset !== null) expect((await rx.next("reset", from)).bytes).toEqual([ops.reset]);
      // After the reset the receiver greets again and the pool comes back.
      from = rx.msgs.length;
      rx.hello();
      await rx.next("ack", from, 5000);
      rx.write(1, 2);
      expect(await nextEvent(b, 5000)).toEqual({ event: "connected", pool, buzzer: 2 });
    }, 15_000);
  }

  test("a configured pool connects at start, is listed, and is announced", async () => {
    const { rx, pool, clients } = await setup({ configured: true });
    const [a] = clients as [TestClient];
    rx.autoPong = true;
    rx.hello();
    await rx.next("ack");
    rx.write(2, 4, 8);
    expect(await nextEvent(a)).toEqual({ event: "connected", pool, buzzer: 4 });
    expect(await nextEvent(a)).toEqual({ event: "connected", pool, buzzer: 8 });
    a.send({ list: "pools" });
    const pools = await a.nextJson();
    expect(Object.keys(pools)).toEqual(["response", "pools"]);
    expect(pools.response).toBe("pools");
    expect(pools.pools).toContain(pool);
    a.send({ list: "buzzers" });
    expect(await a.nextJson()).toEqual({ response: "buzzers", pools: [{ pool, buzzers: [4, 8] }] });
    a.send({ command: "connect", pool });
    expect(await a.nextJson()).toEqual({ result: "connect", pool, buzzers: [4, 8] });
  });
});

describe("/mediator serial pools: the device goes away and comes back", () => {
  test("unplug: disconnected with buzzer null; replug on the same path: reopened and re-announced", async () => {
    const dir = tempDir("buzzer-unplug-");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const links: [string, string] = [`${dir}/receiver`, `${dir}/ttyBUZZ`];
    let pair = await SocatPair.open(links);
    let rx = new Receiver(links[0]);
    const pool = links[1];
    const srv = await bootServer({ poolAllow: testPoolAllow, pool: [pool] });
    cleanup.push(() => srv.stop());
    const c = await openMediator(srv.ws(""));
    cleanup.push(() => c.close());
    rx.firmware([1, 2]).hello();
    expect(await nextEvent(c)).toEqual({ event: "connected", pool, buzzer: 1 });
    expect(await nextEvent(c)).toEqual({ event: "connected", pool, buzzer: 2 });
    // Unplug: the cable (socat) goes away.
    rx.close();
    await pair.close();
    expect(await nextEvent(c)).toEqual({ event: "disconnected", pool, buzzer: null });
    c.send({ list: "buzzers" });
    expect(await c.nextJson()).toEqual({ response: "buzzers", pools: [] });
    c.send({ list: "pools" });
    expect((await c.nextJson()).pools).toContain(pool);
    await Bun.sleep(300); // unplugged for a while: the mediator's attempts to reopen fail meanwhile
    // Replug: the same path is back; the receiver boots and greets.
    pair = await SocatPair.open(links);
    cleanup.push(() => pair.close());
    rx = new Receiver(links[0]);
    cleanup.push(() => rx.close());
    rx.firmware([2, 3]).hello();
    expect(await nextEvent(c, 5000)).toEqual({ event: "connected", pool, buzzer: 2 });
    expect(await nextEvent(c)).toEqual({ event: "connected", pool, buzzer: 3 });
    rx.write(rx.ops.buzz, 3);
    expect(await nextEvent(c)).toEqual({ event: "buzz", pool, buzzer: 3 });
  }, 15_000);

  test("disconnect, then connect again: the port is reopened and the receiver linked anew", async () => {
    const { rx, pool, clients } = await setup({ clients: 1 });
    const [a] = clients as [TestClient];
    rx.firmware([8]).hello();
    a.send({ command: "connect", pool });
    expect(await a.nextJson()).toEqual({ result: "connect", pool, buzzers: [8] });
    expect(await nextEvent(a)).toEqual({ event: "connected", pool, buzzer: 8 });
    // Back to back, before the old port can have been released: the new open waits for it.
    for (let i = 0; i < 3; i++) {
      a.send({ command: "disconnect", pool });
      a.send({ command: "connect", pool });
      expect(await a.nextJson()).toEqual({ result: "disconnect", pool });
      expect(await nextEvent(a)).toEqual({ event: "disconnected", pool, buzzer: null });
      expect(await a.nextJson(4500)).toEqual({ result: "connect", pool, buzzers: [8] });
      expect(await nextEvent(a)).toEqual({ event: "connected", pool, buzzer: 8 });
    }
  }, 20_000);

  test("a configured pool whose device appears only after the start is opened when it shows up", async () => {
    const dir = tempDir("buzzer-late-");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const links: [string, string] = [`${dir}/receiver`, `${dir}/ttyLATE`];
    const pool = links[1];
    const srv = await bootServer({ poolAllow: testPoolAllow, pool: [pool] });
    cleanup.push(() => srv.stop());
    const c = await openMediator(srv.ws(""));
    cleanup.push(() => c.close());
    c.send({ list: "pools" });
    expect((await c.nextJson()).pools).toContain(pool);
    await Bun.sleep(300); // the device shows up well after the start: that is the case tested
    const pair = await SocatPair.open(links);
    cleanup.push(() => pair.close());
    const rx = new Receiver(links[0]).firmware([6]);
    cleanup.push(() => rx.close());
    rx.hello();
    expect(await nextEvent(c, 4000)).toEqual({ event: "connected", pool, buzzer: 6 });
  }, 10_000);

  test("a receiver that stays silent until it gets the reset opcode is still connected", async () => {
    const { rx, pool, clients } = await setup({ clients: 1 });
    const [a] = clients as [TestClient];
    rx.firmware([11]);
    a.send({ command: "connect", pool });
    expect(await a.nextJson(6000)).toEqual({ result: "connect", pool, buzzers: [11] });
    expect(rx.msgs[0]?.kind).toBe("reset");
  }, 10_000);
});

describe("/mediator serial pools: resets from the receiver's side", () => {
  test("01 from the receiver: disconnected (null) once, then its hello re-announces the pool", async () => {
    const { rx, pool, clients } = await setup({ clients: 1, configured: true });
    const [a] = clients as [TestClient];
    rx.firmware([1, 2]).hello(); // it also reboots whenever it is told to
    for (const buzzer of [1, 2]) expect(await nextEvent(a)).toEqual({ event: "connected", pool, buzzer });
    rx.write(0x01);
    const events = [await nextEvent(a)]; // the mediator saw the reset
    rx.hello(); // it rebooted
    for (let i = 0; i < 2; i++) events.push(await nextEvent(a));
    expect(events).toEqual([
      { event: "disconnected", pool, buzzer: null },
      { event: "connected", pool, buzzer: 1 },
      { event: "connected", pool, buzzer: 2 },
    ]);
    expect(await a.quiet(400)).toBe(true);
  });

  test("a receiver that greeted three times before the port was opened is answered and linked once", async () => {
    const { rx, pool, clients } = await setup({ clients: 1 });
    const [a] = clients as [TestClient];
    rx.autoPong = true;
    let acks = 0;
    rx.onAck = () => {
      // One more greeting was already on its way when the answer came (it crossed 13 37 on the
      // wire, in a read of its own); then the list, as firmware sends for every 13 37.
      if (++acks === 1) rx.hello();
      setTimeout(() => rx.write(1, 3), 5);
    };
    for (let i = 0; i < 3; i++) rx.hello(); // greeting until answered
    a.send({ command: "connect", pool });
    expect(await a.nextJson()).toEqual({ result: "connect", pool, buzzers: [3] });
    expect(await nextEvent(a)).toEqual({ event: "connected", pool, buzzer: 3 });
    expect(await a.quiet(400)).toBe(true);
    expect(acks).toBe(1);
    rx.write(rx.ops.buzz, 3);
    expect(await nextEvent(a)).toEqual({ event: "buzz", pool, buzzer: 3 });
  });

  test("buzzer ids 0 and 255, and an empty receiver", async () => {
    const { rx, pool, clients } = await setup({ clients: 1 });
    const [a] = clients as [TestClient];
    rx.autoPong = true;
    expect(JSON.parse(await connect(rx, a, pool, []))).toEqual({ result: "connect", pool, buzzers: [] });
    rx.write(0x06, 0, 0x06, 255, 0x04, 0, 0x04, 255, 0x07, 0);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await nextEvent(a));
    expect(got).toEqual([
      { event: "connected", pool, buzzer: 0 },
      { event: "connected", pool, buzzer: 255 },
      { event: "buzz", pool, buzzer: 0 },
      { event: "buzz", pool, buzzer: 255 },
      { event: "disconnected", pool, buzzer: 0 },
    ]);
    const from = rx.msgs.length;
    a.send({ command: "set_color", pool, buzzer: 255, color: [0, 0, 0] });
    expect((await rx.next("color", from)).bytes).toEqual([0x05, 255, 0, 0, 0]);
  });
});

describe("/mediator serial line settings", () => {
  for (const [baud, overrides] of [[9600, {}], [115200, { serialBaud: 115200 }]] as const) {
    test(`the port is raw 8N1 at ${baud} baud, as stty reads it back`, async () => {
      const { rx, pool } = await receiverOnSocat((f) => cleanup.push(f));
      rx.hello();
      const srv = await bootServer({ poolAllow: testPoolAllow, ...overrides, pool: [pool] });
      cleanup.push(() => srv.stop());
      await rx.next("ack");
      const r = Bun.spawnSync(["stty", "-F", pool, "-a"]);
      const out = r.stdout.toString();
      expect(out).toContain(`speed ${baud} baud`);
      for (const flag of ["cs8", "-parenb", "-cstopb", "-crtscts", "-icanon", "-echo", "-isig", "-ixon", "-icrnl", "-opost"]) {
        expect(out.split(/[\s;]+/)).toContain(flag);
      }
    });
  }
});
