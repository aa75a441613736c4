// The buzzer mediator across nodes when things fail (docs/cluster.md#buzzer): the node a receiver
// is plugged into killed with SIGKILL, the node that runs the quiz game killed mid-round, Redis
// restarted, and a node cut off from Redis (through a TCP relay the test cuts).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { ReceiverEmulator } from "../../../scripts/buzzer-emulator.ts";
import { isEvent, openMediator, untilJson } from "../../helpers/clients/buzzer.ts";
import { startNode, startRedis, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { tcpProxy, type TcpProxy } from "../../helpers/tcp-proxy.ts";
import { waitFor } from "../../helpers/wait.ts";
import type { TestClient } from "../../helpers/ws-client.ts";

let redis: TestRedis;
const nodes: TestNode[] = [];
let cleanup: Array<() => unknown> = [];
const ARGS = ["--pool-allow", "/dev/pts/*"];

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  await redis?.stop();
});
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
  // a test that failed half-way leaves its nodes: the next one starts with none
  await Promise.all(nodes.splice(0).map((n) => n.stop().catch(() => {})));
  await redis.client.send("FLUSHALL", []);
});

async function node(id: string, via: TestRedis = redis): Promise<TestNode> {
  const n = await startNode(via, id, ARGS);
  nodes.push(n);
  return n;
}
const health = async (n: TestNode) => {
  const r = await fetch(n.http + "/healthz");
  return { status: r.status, body: (await r.json()) as any };
};
const seesNodes = (n: TestNode, ...others: TestNode[]) =>
  waitFor(
    async () => {
      const live: string[] = (await health(n)).body.cluster.nodes;
      return others.every((o) => live.includes(o.id));
    },
    { what: `${n.id} to see the others`, timeoutMs: 10_000 },
  );
const leader = async () => String((await redis.client.send("GET", ["sb:buzzer:leader"])) ?? "");
const killed = (n: TestNode) => nodes.splice(nodes.indexOf(n), 1);

async function client(n: TestNode, operator = true): Promise<TestClient> {
  const s = await openMediator(n.ws(""), operator ? undefined : {});
  cleanup.push(() => s.close());
  return s;
}

async function receiver(n: TestNode, buzzers: number[]): Promise<{ rx: ReceiverEmulator; pool: string }> {
  const rx = await ReceiverEmulator.start({ buzzers, bootDelayMs: 20 });
  cleanup.push(() => rx.stop());
  const op = await client(n);
  op.send({ command: "connect", pool: rx.path });
  expect(await untilJson(op, (m) => m.result === "connect" || m.error, 8000)).toMatchObject({ result: "connect", pool: rx.path });
  return { rx, pool: rx.path };
}

const listBuzzers = async (s: TestClient) => {
  s.send({ list: "buzzers" });
  return (await untilJson(s, (m) => m.response === "buzzers")).pools as Array<{ pool: string; buzzers: number[] }>;
};

describe("buzzer across nodes: faults", () => {
  test("the receiver's node is SIGKILLed: clients elsewhere hear its pool and phones go", async () => {
    const a = await node("bk-a");
    const b = await node("bk-b");
    await seesNodes(b, a);
    const { pool } = await receiver(a, [1, 2]);
    const phone = await client(a, false);
    phone.send({ command: "phone_join", name: "Ann" });
    const { buzzer } = await untilJson(phone, (m) => m.result === "phone_join");
    const onB = await client(b, false);
    expect((await listBuzzers(onB)).map((p) => p.pool)).toEqual([pool, "phones"]);
    await a.kill();
    killed(a);
    expect(await untilJson(onB, isEvent("disconnected", pool, null), 8000)).toMatchObject({ pool });
    expect(await untilJson(onB, isEvent("disconnected", "phones", buzzer), 3000)).toMatchObject({ buzzer });
    expect(await listBuzzers(onB)).toEqual([]);
  }, 40_000);

  test("the game's node is SIGKILLed mid-round: another node leads, idle, and every board is told", async () => {
    const a = await node("gk-a");
    await waitFor(async () => (await leader()) === "gk-a", { what: "A to lead" });
    const b = await node("gk-b");
    const c = await node("gk-c");
    await seesNodes(b, a, c);
    const op = await client(b);
    op.send({ command: "arm" });
    const { round } = await untilJson(op, (m) => m.result === "arm");
    const boards = [await client(b, false), await client(c, false)];
    await a.kill();
    killed(a);
    for (const s of boards) expect(await untilJson(s, (m) => m.event === "reset", 8000)).toMatchObject({ round });
    expect(["gk-b", "gk-c"]).toContain(await leader());
    boards[1]!.send({ list: "round" });
    expect(await untilJson(boards[1]!, (m) => m.response === "round")).toEqual({ response: "round", round, armed: false, order: [], first: null });
    op.send({ command: "arm" });
    expect(await untilJson(op, (m) => m.result === "arm")).toEqual({ result: "arm", round: round + 1 });
  }, 40_000);

  test("Redis restarts: the pools and the round come back, buzzes go on reaching the other node", async () => {
    const a = await node("rr-a");
    const b = await node("rr-b");
    await seesNodes(b, a);
    const { rx, pool } = await receiver(a, [4]);
    const op = await client(b);
    op.send({ command: "arm" });
    const { round } = await untilJson(op, (m) => m.result === "arm");
    const onB = await client(b, false);
    await redis.restart();
    await waitFor(async () => (await health(a)).body.cluster.redis === "up" && (await health(b)).body.cluster.redis === "up", { what: "both nodes back on Redis", timeoutMs: 10_000 });
    await waitFor(async () => (await listBuzzers(onB)).some((p) => p.pool === pool), { what: "A's pool back in the directory", timeoutMs: 5000 });
    // the first buzz may be sent while the nodes resubscribe
    await waitFor(async () => {
      rx.press(4);
      return (await untilJson(onB, isEvent("buzz", pool, 4), 500).catch(() => null)) !== null;
    }, { what: "a buzz on A to reach B", timeoutMs: 5000 });
    onB.send({ list: "round" });
    expect(await untilJson(onB, (m) => m.response === "round")).toMatchObject({ round, armed: true });
  }, 40_000);

  test("a node cut off from Redis: not ready, its own clients keep its pool; the others hear it go and come back", async () => {
    let relay: TcpProxy | null = null;
    try {
      relay = await tcpProxy(redis.port);
      const a = await node("cut-a");
      const p = await node("cut-p", { ...redis, url: `redis://127.0.0.1:${relay.port}` });
      await seesNodes(a, p);
      const { rx, pool } = await receiver(p, [6]);
      const mine = await client(p, false);
      const onA = await client(a, false);
      expect((await listBuzzers(onA)).map((x) => x.pool)).toEqual([pool]);
      relay.cut();
      await waitFor(async () => (await health(p)).status === 503, { what: "the cut-off node to report not ready", timeoutMs: 8000 });
      expect(await untilJson(onA, isEvent("disconnected", pool, null), 8000)).toMatchObject({ pool });
      rx.press(6);
      expect(await untilJson(mine, isEvent("buzz", pool, 6))).toMatchObject({ pool });
      expect(await listBuzzers(mine)).toEqual([{ pool, buzzers: [6] }]);
      relay.heal();
      await waitFor(async () => (await health(p)).status === 200, { what: "the node back", timeoutMs: 10_000 });
      expect(await untilJson(onA, isEvent("connected", pool, 6), 8000)).toMatchObject({ pool });
      expect(await onA.quiet(300)).toBe(true); // announced once
      await waitFor(async () => (await listBuzzers(onA)).some((x) => x.pool === pool), { what: "its pool listed again", timeoutMs: 5000 });
    } finally {
      relay?.stop();
    }
  }, 60_000);
});
