// Node presence (docs/cluster.md#nodes-and-failures) on a fake Redis that knows the few commands
// it uses: every node runs its reactions to a departure, even the ones whose heartbeat comes
// after another node already cleared up after it.
import { describe, expect, test } from "bun:test";
import type { RedisClient } from "bun";
import { silentLogger } from "../../../src/log.ts";
import { NODES_KEY, Presence } from "../../../src/cluster/presence.ts";

class FakeRedis {
  readonly zset = new Map<string, number>();
  readonly keys = new Map<string, string>();
  connected = true;
  async send(cmd: string, args: string[]): Promise<unknown> {
    switch (cmd) {
      case "ZADD":
        this.zset.set(args[2]!, Number(args[1]));
        return 1;
      case "ZRANGE":
        return [...this.zset].sort((x, y) => x[1] - y[1]).flatMap(([m, s]) => [m, String(s)]);
      case "ZREM":
        return this.zset.delete(args[1]!) ? 1 : 0;
      case "SET":
        if (this.keys.has(args[0]!)) return null;
        this.keys.set(args[0]!, args[1]!);
        return "OK";
    }
    throw new Error(`unexpected ${cmd}`);
  }
}

const presence = (redis: FakeRedis, nodeId: string) =>
  new Presence(redis as unknown as RedisClient, { nodeId, heartbeatMs: 100, timeoutMs: 1000 }, silentLogger);

describe("presence", () => {
  test("a node reaped by another before this one saw it expire is still gone here", async () => {
    const redis = new FakeRedis();
    const [a, b, c] = [presence(redis, "a"), presence(redis, "b"), presence(redis, "c")];
    for (const p of [a, b, c]) await p.beat();
    redis.zset.set("c", Date.now() + 30); // c's last heartbeat: it dies now
    for (const p of [a, b]) await p.beat();
    expect([...b.alive].sort()).toEqual(["a", "b", "c"]);
    const goneA: string[] = [];
    const goneB: string[] = [];
    const reaped: string[] = [];
    a.onGone((n) => goneA.push(n));
    b.onGone((n) => goneB.push(n));
    a.onReap((n) => void reaped.push(n));
    b.onReap((n) => void reaped.push(n));
    await Bun.sleep(40);
    await a.beat(); // a sees it expire, takes the lock and clears up
    expect(goneA).toEqual(["c"]);
    expect(reaped).toEqual(["c"]);
    expect(redis.zset.has("c")).toBe(false);
    await b.beat(); // b comes after: the entry is gone already
    expect(goneB).toEqual(["c"]);
    expect(reaped).toEqual(["c"]);
    expect(b.alive.has("c")).toBe(false);
    await b.beat();
    expect(goneB).toEqual(["c"]); // once
  });

  test("Redis restarted and empty: the others stay alive while they put themselves back; one that never does is gone", async () => {
    const redis = new FakeRedis();
    const [a, b, c] = [presence(redis, "a"), presence(redis, "b"), presence(redis, "c")];
    for (const p of [a, b, c]) await p.beat();
    redis.zset.set("c", Date.now() + 30); // c's last heartbeat before Redis restarted: it died meanwhile
    await a.beat();
    const gone: string[] = [];
    a.onGone((n) => gone.push(n));
    redis.zset.clear();
    redis.keys.clear();
    await a.beat(); // only a is listed now
    expect([...a.alive].sort()).toEqual(["a", "b", "c"]);
    await b.beat(); // b is back
    await Bun.sleep(40);
    await a.beat();
    expect(gone).toEqual(["c"]);
    expect([...a.alive].sort()).toEqual(["a", "b"]);
  });

  test("a node stopping in order leaves at once", async () => {
    const redis = new FakeRedis();
    const [a, b] = [presence(redis, "a"), presence(redis, "b")];
    await a.beat();
    await b.beat();
    await a.beat();
    const gone: string[] = [];
    a.onGone((n) => gone.push(n));
    await b.stop();
    expect(redis.zset.get("b")).toBe(0);
    await a.beat();
    expect(gone).toEqual(["b"]);
    expect(redis.zset.has(NODES_KEY)).toBe(false);
  });

  test("cut off from Redis: no heartbeat is queued to land late; a resync's heartbeat is", async () => {
    const redis = new FakeRedis();
    const a = presence(redis, "a");
    redis.connected = false;
    await a.beat();
    expect(redis.zset.has("a")).toBe(false);
    await a.beat(true);
    expect(redis.zset.get("a")).toBeGreaterThan(Date.now());
  });
});
