// The buzzer's registries across nodes, in memory, through the shared suites (the Redis ones:
// test/system/cluster/buzzer-registries.test.ts); and the shared names over a Redis stand-in.
import { describe, expect, test } from "bun:test";
import { MemoryPoolDirectory } from "../../../src/protocols/buzzer/directory.ts";
import { MemoryNameStore } from "../../../src/protocols/buzzer/game.ts";
import { MemoryLeaderStore } from "../../../src/protocols/buzzer/leader.ts";
import { DEFAULT_KEEP_MS } from "../../../src/protocols/buzzer/phonebook.ts";
import { MemoryPhoneRegistry } from "../../../src/protocols/buzzer/phone-registry.ts";
import { SharedNames } from "../../../src/protocols/buzzer/shared-names.ts";
import { leaderStoreSuite, nameStoreSuite, phoneRegistrySuite, poolDirectorySuite } from "../../helpers/buzzer-registries.ts";

/** HGET and HSET on a map: what the shared names ask of Redis. */
function fakeRedis() {
  const h = new Map<string, string>();
  return {
    h,
    async send(command: string, args: string[]): Promise<unknown> {
      if (command === "HGET") return h.get(`${args[0]}|${args[1]}`) ?? null;
      if (command === "HSET") return void h.set(`${args[0]}|${args[1]}`, args[2]!);
      throw new Error(`unexpected ${command}`);
    },
  };
}

poolDirectorySuite("memory", () => new MemoryPoolDirectory());
phoneRegistrySuite("memory", (ids) => new MemoryPhoneRegistry(DEFAULT_KEEP_MS, ids));
leaderStoreSuite("memory", () => new MemoryLeaderStore());
nameStoreSuite("memory", () => new MemoryNameStore());
nameStoreSuite("shared, over a Redis stand-in", () => new SharedNames({ redis: fakeRedis(), local: new MemoryNameStore(), ready: () => true, within: (w) => w }));

describe("shared names", () => {
  test("a name Redis lost is read from this node's database; one cleared is not read back from an older copy", async () => {
    const redis = fakeRedis();
    const local = new MemoryNameStore();
    const names = new SharedNames({ redis, local, ready: () => true, within: (w) => w });
    await names.set("/dev/ttyACM0", 1, "Ann");
    redis.h.clear(); // Redis restarted
    expect(await names.get("/dev/ttyACM0", 1)).toBe("Ann");
    await local.set("/dev/ttyACM0", 2, "Old"); // this node's copy, cleared since by another node
    await redis.send("HSET", ["sb:buzzer:names", "2:/dev/ttyACM0", ""]);
    expect(await names.get("/dev/ttyACM0", 2)).toBeNull();
  });

  test("cut off from Redis: names are this node's own", async () => {
    const redis = fakeRedis();
    let ready = true;
    const names = new SharedNames({ redis, local: new MemoryNameStore(), ready: () => ready, within: (w) => w });
    await redis.send("HSET", ["sb:buzzer:names", "1:p", "From Redis"]);
    ready = false;
    expect(await names.get("p", 1)).toBeNull();
    await names.set("p", 1, "Mine");
    expect(await names.get("p", 1)).toBe("Mine");
    expect(redis.h.get("sb:buzzer:names|1:p")).toBe("From Redis");
  });
});
