// The Redis room directory through the shared suite (docs/cluster.md#watch-party), against a
// real redis-server; the same tests run against the in-memory one in test/unit.
import { afterAll, beforeAll } from "bun:test";
import { RedisDirectory } from "../../../src/protocols/syncparty/directory.ts";
import { startRedis, type TestRedis } from "../../helpers/cluster.ts";
import { directorySuite } from "../../helpers/party-directory.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

directorySuite("redis", () => new RedisDirectory(redis.client));
