// Several nodes (docs/cluster.md#buzzer): the quiz's buzzer names for the whole cluster. The game
// runs on one node at a time, and the next leader must know the names the last one was given:
// they are kept in Redis, and each node also keeps the names it set in its own database, read
// when Redis has none (it restarted and lost them, or this node is cut off from it).
import type { NameStore } from "./game.ts";
import type { RedisCommands } from "../syncparty/directory.ts";

const NAMES = "sb:buzzer:names";
/** A name cleared is kept as "" so that a node's older copy is not read back instead. */
const CLEARED = "";

export interface SharedNamesDeps {
  redis: RedisCommands;
  /** This node's own store (the database). */
  local: NameStore;
  /** Redis is in reach (docs/cluster.md#nodes-and-failures). */
  ready(): boolean;
  /** Bounds a Redis call (an outage queues commands until Redis is back). */
  within<T>(work: Promise<T>): Promise<T>;
}

export class SharedNames implements NameStore {
  constructor(private readonly deps: SharedNamesDeps) {}

  async get(pool: string, buzzer: number): Promise<string | null> {
    if (this.deps.ready()) {
      const v = await this.deps.within(this.deps.redis.send("HGET", [NAMES, key(pool, buzzer)])).catch(() => null);
      if (v != null) return String(v) === CLEARED ? null : String(v);
    }
    return this.deps.local.get(pool, buzzer);
  }

  /** Resolves once this node's database has it (a failure there is the caller's storage error) and Redis has answered. */
  async set(pool: string, buzzer: number, name: string | null): Promise<void> {
    await this.deps.local.set(pool, buzzer, name);
    if (this.deps.ready()) await this.deps.within(this.deps.redis.send("HSET", [NAMES, key(pool, buzzer), name ?? CLEARED])).catch(() => {});
  }
}

const key = (pool: string, buzzer: number) => `${buzzer}:${pool}`;
