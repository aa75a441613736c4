// The buzzer's registries across nodes in a real redis-server, through the shared suites (the
// in-memory ones: test/unit/buzzer/registries.test.ts). Each test starts from an empty Redis.
import { afterAll, beforeAll } from "bun:test";
import { RedisPoolDirectory } from "../../../src/protocols/buzzer/directory.ts";
import { MemoryNameStore } from "../../../src/protocols/buzzer/game.ts";
import { RedisLeaderStore } from "../../../src/protocols/buzzer/leader.ts";
import { DEFAULT_KEEP_MS } from "../../../src/protocols/buzzer/phonebook.ts";
import { RedisPhoneRegistry } from "../../../src/protocols/buzzer/phone-registry.ts";
import { SharedNames } from "../../../src/protocols/buzzer/shared-names.ts";
import { startRedis, type TestRedis } from "../../helpers/cluster.ts";
import { leaderStoreSuite, nameStoreSuite, phoneRegistrySuite, poolDirectorySuite } from "../../helpers/buzzer-registries.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

const empty = async () => void (await redis.client.send("FLUSHALL", []));

poolDirectorySuite("redis", async () => (await empty(), new RedisPoolDirectory(redis.client)));
phoneRegistrySuite("redis", async (ids) => (await empty(), new RedisPhoneRegistry(redis.client, DEFAULT_KEEP_MS, ids)));
leaderStoreSuite("redis", async () => (await empty(), new RedisLeaderStore(redis.client)));
nameStoreSuite("shared, in redis", async () => (await empty(), new SharedNames({ redis: redis.client, local: new MemoryNameStore(), ready: () => true, within: (w) => w })));
