// The buzzer mediator across nodes (docs/cluster.md#buzzer): three Switchboard processes on one
// real Redis, a receiver (the emulator, on a pty) plugged into node A, clients on every node. A
// client on B sees A's buzzes once, in B's own clock; its pool commands run on A; one quiz round
// takes presses from every node, ordered by when they were pressed.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { isEvent, openMediator, untilJson } from "../../helpers/clients/buzzer.ts";
import { startNode, startRedis, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { waitFor } from "../../helpers/wait.ts";
import type { TestClient } from "../../helpers/ws-client.ts";

let redis: TestRedis;
let a: TestNode;
let b: TestNode;
let c: TestNode;
let cleanup: Array<() => unknown> = [];
const ARGS = ["--pool-allow", "/dev/pts/*"];

beforeAll(async () => {
  redis = await startRedis();
  // One after the other: A leads the game, and each node's monotonic clock starts at another instant.
  a = await startNode(redis, "buzz-a", ARGS);
  await waitFor(async () => String(await redis.client.send("GET", ["sb:buzzer:leader"])) === "buzz-a", { what: "node A to lead the game" });
  b = await startNode(redis, "buzz-b", ARGS);
  c = await startNode(redis, "buzz-c", ARGS);
  await waitFor(async () => ((await (await fetch(a.http + "/healthz")).json()) as any).cluster.nodes.length === 3, { what: "the three nodes to see each other", timeoutMs: 10_000 });
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await redis?.stop();
});
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function client(n: TestNode, operator = true): Promise<TestClient> {
  const s = await openMediator(n.ws(""), operator ? undefined : {});
  cleanup.push(() => s.close());
  return s;
}

/** A receiver with these buzzers, connected by a client of node `n`; returns it and its pool id. */
async function receiver(n: TestNode, buzzers: number[]): Promise<{ rx: ReceiverEmulator; pool: string }> {
  const rx = await ReceiverEmulator.start({ buzzers, bootDelayMs: 20 });
  const op = await client(n);
  cleanup.push(async () => {
    op.send({ command: "disconnect", pool: rx.path });
    await op.until((t) => t.includes('"result":"disconnect"') || t.includes('"error"'), 3000).catch(() => {});
    rx.stop();
  });
  op.send({ command: "connect", pool: rx.path });
  expect(await untilJson(op, (m) => m.result === "connect" || m.error, 8000)).toEqual({ result: "connect", pool: rx.path, buzzers });
  return { rx, pool: rx.path };
}

/** The node's own monotonic time, as its sync_time reply says. */
async function serverNow(s: TestClient): Promise<number> {
  s.send({ command: "sync_time", client_ts: 0 });
  return (await untilJson(s, (m) => m.result === "sync_time")).server_recv_ts;
}

/** How far the node's monotonic clock is ahead of this process's performance.now() (to within the round trip). */
async function clockAhead(s: TestClient): Promise<number> {
  const t0 = performance.now();
  const now = await serverNow(s);
  return now - (t0 + performance.now()) / 2;
}

describe("buzzer across nodes", () => {
  test("a receiver on A: a client on B sees its buzzes once, in order, with ts in B's clock", async () => {
    const onA = await client(a, false);
    const onB = await client(b, false);
    const onC = await client(c, false);
    const { rx, pool } = await receiver(a, [1, 2]);
    for (const s of [onA, onB, onC]) await untilJson(s, isEvent("connected", pool, 2));
    rx.press(2);
    rx.press(1);
    rx.disconnect(2);
    const tsA = (await untilJson(onA, isEvent("buzz", pool, 2))).ts;
    const aheadA = await clockAhead(onA);
    for (const s of [onB, onC]) {
      const got = [await untilJson(s, isEvent("buzz", pool)), await s.nextJson(), await s.nextJson()];
      expect(got.map((e) => [e.event, e.buzzer])).toEqual([["buzz", 2], ["buzz", 1], ["disconnected", 2]]);
      expect(Object.keys(got[0])).toEqual(["event", "pool", "buzzer", "ts"]);
      // ts is this node's monotonic time of the press: just before what this node says is now.
      const now = await serverNow(s);
      expect(now - got[0].ts).toBeGreaterThanOrEqual(0);
      expect(now - got[0].ts).toBeLessThan(2000);
      // The same instant as A's ts, moved by how far this node's clock is from A's.
      expect(Math.abs(got[0].ts - tsA - ((await clockAhead(s)) - aheadA))).toBeLessThan(20);
      expect(await s.quiet(150)).toBe(true); // once, not twice
    }
  }, 30_000);

  test("list, connect, set_color and disconnect from B run on A; replies come back in order", async () => {
    const { rx, pool } = await receiver(a, [3, 4]);
    const onB = await client(b);
    const onC = await client(c, false);
    onB.send({ list: "buzzers" });
    expect(await untilJson(onB, (m) => m.response === "buzzers")).toEqual({ response: "buzzers", pools: [{ pool, buzzers: [3, 4] }] });
    onB.send({ list: "pools" });
    expect((await untilJson(onB, (m) => m.response === "pools")).pools).toContain(pool);
    const colours = rx.received.length;
    onB.send({ command: "connect", pool });
    onB.send({ command: "set_color", pool, buzzer: 4, color: [255, 0, 7] });
    onB.send({ command: "set_color", pool, buzzer: 9, color: [1, 2, 3] });
    onB.send({ list: "round" });
    const replies: any[] = [];
    while (replies.length < 4) replies.push(await onB.nextJson(5000));
    expect(replies.map((m) => m.result ?? m.error ?? m.response)).toEqual(["connect", "set_color", "invalid_data_type", "round"]);
    expect(replies[0]).toEqual({ result: "connect", pool, buzzers: [3, 4] });
    const colour = () => rx.received.slice(colours).filter((m) => m.type === "color");
    await waitFor(() => colour().length > 0, { what: "the colour to reach the receiver" });
    expect(colour()).toEqual([{ type: "color", id: 4, rgb: [255, 0, 7] }]);
    onB.send({ command: "disconnect", pool });
    expect(await onB.nextJson()).toEqual({ result: "disconnect", pool });
    expect(await onB.nextJson()).toMatchObject({ event: "disconnected", pool, buzzer: null });
    expect(await untilJson(onC, isEvent("disconnected", pool, null))).toMatchObject({ pool });
    onC.send({ list: "buzzers" });
    expect(await untilJson(onC, (m) => m.response === "buzzers")).toEqual({ response: "buzzers", pools: [] });
  }, 30_000);

  test("one quiz round: armed on C, a phone on B and the receiver on A, ordered by when they were pressed", async () => {
    const { rx, pool } = await receiver(a, [5]);
    const board = await client(c, false);
    const op = await client(c);
    // The phone: a client of B whose clock is this process's performance.now(), synced to B.
    const phone = await client(b, false);
    phone.send({ command: "phone_join", name: "Ann" });
    const joined = await untilJson(phone, (m) => m.result === "phone_join");
    let previous: object | null = null;
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      phone.send({ command: "sync_time", client_ts: t, previous });
      const r = await untilJson(phone, (m) => m.result === "sync_time");
      previous = { client_ts: t, server_recv_ts: r.server_recv_ts, server_send_ts: r.server_send_ts, client_recv_ts: performance.now() };
      await Bun.sleep(20);
    }
    op.send({ command: "arm" });
    const { round } = await untilJson(op, (m) => m.result === "arm");
    await untilJson(board, (m) => m.event === "armed" && m.round === round);
    await Bun.sleep(30);
    // The receiver is pressed now; the phone was pressed 30 ms before, but says so only later.
    const pressedAt = performance.now();
    rx.press(5);
    await untilJson(board, (m) => m.event === "order" && m.round === round);
    phone.send({ command: "press", client_ts: pressedAt - 30 });
    const reply = await untilJson(phone, (m) => m.result === "press");
    expect(reply).toMatchObject({ result: "press", round, pool: "phones", buzzer: joined.buzzer, outcome: "joined" });
    const order = await untilJson(board, (m) => m.event === "order" && m.round === round && m.order.length === 2);
    expect(order.order.map((e: any) => e.pool)).toEqual(["phones", pool]);
    expect(order.order[1].gap_ms).toBeGreaterThan(20);
    expect(order.order[1].gap_ms).toBeLessThan(45);
    const first = await untilJson(board, (m) => m.event === "first" && m.round === round);
    expect(first).toMatchObject({ pool: "phones", buzzer: joined.buzzer, name: "Ann" });
    // list round on A (the leader's node) and on B say the same, each in its own clock.
    for (const n of [a, b]) {
      const s = await client(n, false);
      s.send({ list: "round" });
      const snap = await untilJson(s, (m) => m.response === "round");
      expect(snap).toMatchObject({ round, armed: true, first: { pool: "phones" } });
      expect(snap.order.map((e: any) => e.gap_ms)).toEqual(order.order.map((e: any) => e.gap_ms));
      const now = await serverNow(s);
      expect(now - snap.first.ts).toBeGreaterThan(0);
      expect(now - snap.first.ts).toBeLessThan(5000);
    }
    op.send({ command: "reset" });
    await untilJson(board, (m) => m.event === "reset" && m.round === round);
  }, 30_000);

  test("phones on every node are one pool: buzzer ids unique across nodes", async () => {
    const ids: number[] = [];
    for (const n of [a, b, c]) {
      const p = await client(n, false);
      p.send({ command: "phone_join", name: `P-${n.id}` });
      ids.push((await untilJson(p, (m) => m.result === "phone_join")).buzzer);
    }
    expect(new Set(ids).size).toBe(3);
    const s = await client(a, false);
    s.send({ command: "connect", pool: "phones" });
    const r = await untilJson(s, (m) => m.result === "connect");
    for (const id of ids) expect(r.buzzers).toContain(id);
  }, 20_000);
});
