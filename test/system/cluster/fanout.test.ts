// Fan-out across nodes (docs/cluster.md#fan-out): a publish on one node reaches the subscribers
// of that topic on every node through Redis, and each node subscribes to a topic's channel only
// while it has a local subscriber. Buzzer events are the plainest case: the receiver is plugged
// into node A, the quiz screen is connected to node B.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startNode, startRedis, type TestNode, type TestRedis } from "../../helpers/cluster.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let redis: TestRedis;
let a: TestNode;
let b: TestNode;
let emu: Bun.Subprocess<"pipe", "pipe", "ignore">;
let device = "";

beforeAll(async () => {
  redis = await startRedis();
  emu = Bun.spawn([process.execPath, join(import.meta.dir, "../../../scripts/buzzer-emulator.ts"), "--buzzers", "1,2"], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  const reader = emu.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
  device = text.split("\n")[0]!.trim();
  reader.releaseLock();
  a = await startNode(redis, "node-a", ["--pool", device]);
  b = await startNode(redis, "node-b");
}, 60_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  emu?.kill();
  await redis?.stop();
});

const press = (id: number) => {
  emu.stdin.write(`buzz ${id}\n`);
  emu.stdin.flush();
};

describe("fan-out across nodes", () => {
  test("a buzz read on node A reaches /mediator clients on node B and on node A", async () => {
    const onB = await TestClient.open(b.ws("/mediator"));
    const onA = await TestClient.open(a.ws("/mediator"));
    // Node B subscribes to the events channel when its first client arrives; give it the round trip.
    for (let i = 0; i < 100; i++) {
      const n = Number(await redis.client.send("PUBSUB", ["NUMSUB", "sb:t:buzzer:events"]).then((r: unknown[]) => r[1]));
      if (n >= 2) break;
      await Bun.sleep(20);
    }
    press(2);
    const fromB = JSON.parse(await onB.until((t) => t.includes('"buzz"'), 5000));
    const fromA = JSON.parse(await onA.until((t) => t.includes('"buzz"'), 5000));
    expect(fromB).toMatchObject({ event: "buzz", pool: device, buzzer: 2 });
    expect(fromA).toMatchObject({ event: "buzz", pool: device, buzzer: 2 });
    expect(await onB.quiet(200)).toBe(true); // delivered once, not twice
    onA.close();
    onB.close();
  }, 20_000);

  test("a node with no subscriber for a topic is not subscribed to its channel", async () => {
    // Nobody listens to clicker id 123456 anywhere: no node holds that channel.
    const n = await redis.client.send("PUBSUB", ["NUMSUB", "sb:t:clicker:123456"]);
    expect(Number((n as unknown[])[1])).toBe(0);
    const c = await TestClient.open(b.ws("/ws"));
    c.send("LISTEN 123456");
    expect(await c.next()).toBe("CONNECT");
    let subs = 0;
    for (let i = 0; i < 100 && subs === 0; i++) {
      subs = Number(((await redis.client.send("PUBSUB", ["NUMSUB", "sb:t:clicker:123456"])) as unknown[])[1]);
      if (!subs) await Bun.sleep(20);
    }
    expect(subs).toBe(1); // node B alone
    c.close();
  }, 20_000);

  test("/healthz shows the cluster: both nodes, Redis up, ready", async () => {
    const h = (await (await fetch(b.http + "/healthz")).json()) as any;
    expect(h.status).toBe("ok");
    expect(h.cluster).toMatchObject({ node: "node-b", redis: "up", ready: true });
    expect(h.cluster.nodes).toEqual(["node-a", "node-b"]);
  });
});
