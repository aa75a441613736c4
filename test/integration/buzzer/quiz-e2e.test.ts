// The quiz end to end (docs/buzzer.md#the-game): a receiver emulator on a real pty, a keyboard
// (evdev records written into a pty), phones as programs, an operator and a client of the
// original protocol, all against the real server with its database.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { PhoneClient } from "../../../scripts/lib/phone-client.ts";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { EV_KEY, inputEventAt } from "../../../src/drivers/keyboard/evdev.ts";
import { PtyMaster } from "../../../src/drivers/serial/pty.ts";
import { buzzerProtocol } from "../../../src/protocols/buzzer/plugin.ts";
import { bootServer, operatorHeaders, tempDir, testPoolAllow, type TestServer } from "../../helpers/server.ts";
import { waitFor } from "../../helpers/wait.ts";
import { TestClient } from "../../helpers/ws-client.ts";

const dir = tempDir("quiz-e2e-");
const dataDir = tempDir("quiz-e2e-data-");
let emu: ReceiverEmulator;
let srv: TestServer;
const clients: TestClient[] = [];
const phones: PhoneClient[] = [];

const boot = () => bootServer({ poolAllow: testPoolAllow, pool: [emu.path] }, { dataDir, protocols: [buzzerProtocol({ minBackoffMs: 30 })] });
async function client(operator = false) {
  const c = await TestClient.open(srv.ws("/mediator"), operator ? { headers: operatorHeaders } : {});
  clients.push(c);
  return c;
}
async function phone(name: string, phoneId: string | null = null) {
  const p = await PhoneClient.join(srv.ws("/mediator"), { name, phoneId, skewMs: 42_000.5, burst: 3, burstGapMs: 50 });
  phones.push(p);
  return p;
}
const json = async (c: TestClient, pred: (m: any) => boolean, ms = 3000) => JSON.parse(await c.until((t) => pred(JSON.parse(t)), ms));
/** The receiver is linked and the server has its list. */
async function linked(c: TestClient) {
  await waitFor(
    async () => {
      c.send({ list: "buzzers" });
      return (await json(c, (m) => m.response === "buzzers")).pools.some((p: any) => p.pool === emu.path);
    },
    { what: "the server to have the receiver's buzzer list", everyMs: 20 },
  );
}

beforeAll(async () => {
  emu = await ReceiverEmulator.start({ link: `${dir}/ttyQUIZ`, buzzers: [1, 2, 3] });
  srv = await boot();
  await emu.linked();
});
afterAll(async () => {
  for (const p of phones) p.close();
  for (const c of clients) c.close();
  await srv.stop();
  emu.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the quiz on /mediator, end to end", () => {
  test("a receiver and a phone in one round: order by press time, first after the settle window; a seed client sees the raw events unchanged", async () => {
    const op = await client(true);
    const seed = await client();
    await linked(op);
    const ann = await phone("Ann");
    expect(await json(seed, (m) => m.event === "connected" && m.pool === "phones")).toEqual({ event: "connected", pool: "phones", buzzer: ann.buzzer, ts: expect.any(Number) });
    seed.send({ list: "buzzers" });
    expect(await json(seed, (m) => m.response === "buzzers")).toEqual({ response: "buzzers", pools: [{ pool: emu.path, buzzers: [1, 2, 3] }, { pool: "phones", buzzers: [ann.buzzer] }] });
    seed.send({ list: "pools" });
    expect((await json(seed, (m) => m.response === "pools")).pools).not.toContain("phones");

    op.send({ command: "arm" });
    const { round } = await json(op, (m) => m.result === "arm");
    expect(await json(seed, (m) => m.event === "armed")).toEqual({ event: "armed", round, ts: expect.any(Number) });
    expect(emu.press(2)).toBe(true);
    const buzz = await json(seed, (m) => m.event === "buzz" && m.pool === emu.path);
    expect(buzz).toEqual({ event: "buzz", pool: emu.path, buzzer: 2, ts: expect.any(Number) });
    await Bun.sleep(20); // the phone presses 20 ms after the receiver: the gap is the point
    ann.press();
    const reply = await ann.until((f) => f.result === "press");
    expect(reply).toEqual({ result: "press", round, pool: "phones", buzzer: ann.buzzer, ts: expect.any(Number), outcome: "joined" });
    const first = await json(seed, (m) => m.event === "first");
    // The receiver's press time is the raw buzz's ts.
    expect(first).toEqual({ event: "first", round, pool: emu.path, buzzer: 2, name: null, ts: buzz.ts });
    op.send({ list: "round" });
    const snap = await json(op, (m) => m.response === "round");
    expect(snap).toMatchObject({ response: "round", round, armed: true, first: { pool: emu.path, buzzer: 2, ts: buzz.ts } });
    expect(snap.order.map((e: any) => [e.pool, e.buzzer, e.name])).toEqual([
      [emu.path, 2, null],
      ["phones", ann.buzzer, "Ann"],
    ]);
    expect(snap.order[1].gap_ms).toBeGreaterThan(10);
    op.send({ command: "reset" });
    expect(await json(op, (m) => m.result === "reset")).toEqual({ result: "reset", round });
    ann.close();
    expect(await json(seed, (m) => m.event === "disconnected" && m.pool === "phones")).toEqual({ event: "disconnected", pool: "phones", buzzer: ann.buzzer, ts: expect.any(Number) });
  });

  test("false start: a press before arm locks that buzzer out for 250 ms; the others still join", async () => {
    const op = await client(true);
    await linked(op);
    op.send({ command: "reset" });
    await json(op, (m) => m.result === "reset");
    emu.press(1); // not armed
    await json(op, (m) => m.event === "buzz" && m.buzzer === 1);
    op.send({ command: "arm" });
    const { round } = await json(op, (m) => m.result === "arm");
    emu.press(1); // still locked out
    emu.press(3);
    const order = await json(op, (m) => m.event === "order" && m.round === round);
    expect(order.order.map((e: any) => e.buzzer)).toEqual([3]);
    expect(await json(op, (m) => m.event === "first" && m.round === round)).toMatchObject({ buzzer: 3 });
    await Bun.sleep(300); // the lockout is over
    emu.press(1);
    const later = await json(op, (m) => m.event === "order" && m.round === round);
    expect(later.order.map((e: any) => e.buzzer)).toEqual([3, 1]);
  });

  test("game commands need operator rights: a client without them gets forbidden and nothing changes", async () => {
    const anon = await client();
    anon.send({ command: "arm" });
    expect(await anon.nextJson()).toEqual({ error: "forbidden", message: expect.stringContaining("operator rights"), cause: "arm" });
    anon.send({ command: "set_name", pool: emu.path, buzzer: 1, name: "Hackers" });
    expect(await json(anon, (m) => "error" in m)).toMatchObject({ error: "forbidden", cause: "set_name" });
    anon.send({ list: "round" });
    expect(await json(anon, (m) => m.response === "round")).toMatchObject({ response: "round" });
  });

  test("names are kept in the database: after a restart list names and the events carry them; a phone keeps its id", async () => {
    const op = await client(true);
    await linked(op);
    op.send({ command: "set_name", pool: emu.path, buzzer: 3, name: "Quizzly Bears" });
    expect(await json(op, (m) => m.result === "set_name")).toEqual({ result: "set_name", pool: emu.path, buzzer: 3, name: "Quizzly Bears" });
    const bob = await phone("Bob");
    const id = bob.phoneId;
    bob.close();

    for (const c of clients.splice(0)) c.close();
    await srv.stop(false);
    srv = await boot();
    await emu.linked();
    const board = await client();
    await linked(board);
    board.send({ list: "names" });
    const names = await json(board, (m) => m.response === "names");
    expect(names.names).toContainEqual({ pool: emu.path, buzzer: 3, name: "Quizzly Bears" });
    expect(names.names.map((n: any) => n.buzzer)).toEqual([1, 2, 3]);

    const again = await phone("Bob", id); // the server forgot the phone, but its id is taken back as sent
    expect(again.phoneId).toBe(id);
    const op2 = await client(true);
    op2.send({ command: "arm" });
    const { round } = await json(op2, (m) => m.result === "arm");
    emu.press(3);
    const order = await json(board, (m) => m.event === "order" && m.round === round);
    expect(order.order[0]).toMatchObject({ pool: emu.path, buzzer: 3, name: "Quizzly Bears" });
  });

  test("a keyboard's presses are ordered by the kernel's time stamps, not by when the server read them", async () => {
    const kbd = await PtyMaster.open();
    kbd.raw();
    try {
      const op = await client(true);
      op.send({ command: "connect", pool: kbd.path + "#keyboard" });
      expect(await json(op, (m) => m.result === "connect")).toEqual({ result: "connect", pool: kbd.path, buzzers: [] });
      op.send({ command: "arm" });
      const { round } = await json(op, (m) => m.result === "arm");
      await Bun.sleep(50); // time passes after the arm, so that the stamps below fall inside the round
      // One read with two key-downs the kernel stamped 7 ms apart, the later key first in the buffer, 20 ms ago.
      const now = Date.now();
      expect(kbd.write(new Uint8Array([...inputEventAt(EV_KEY, 31, 1, now - 13), ...inputEventAt(EV_KEY, 30, 1, now - 20)]))).toBe(true);
      let order: any[] = [];
      const raw = new Map<number, number>();
      while (order.length < 2) {
        const m = await json(op, (m) => (m.event === "order" && m.round === round) || (m.event === "buzz" && m.pool === kbd.path));
        if (m.event === "buzz") raw.set(m.buzzer, m.ts);
        else order = m.order;
      }
      expect(order.map((e) => [e.buzzer, e.gap_ms])).toEqual([
        [30, 0],
        [31, 7],
      ]);
      // The raw buzz keeps the receive time; the press is placed when the kernel stamped it, 20 ms
      // before (plus however long this shared machine took to read it).
      const age = raw.get(30)! - order[0].ts;
      expect(age).toBeGreaterThanOrEqual(19);
      expect(age).toBeLessThan(250);
      op.send({ command: "disconnect", pool: kbd.path });
      await json(op, (m) => m.result === "disconnect");
    } finally {
      kbd.close();
    }
  });
});
