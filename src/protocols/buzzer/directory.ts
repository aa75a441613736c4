// Several nodes (docs/cluster.md#buzzer): which node holds each buzzer pool open, and the pool's
// state as that node reports it, so `list pools` and `list buzzers` answer for every node and a
// command for a pool reaches the node its device is plugged into. Each node writes only its own
// pools' entries; the entries of a node that is gone are reaped, and a node puts its own back
// after Redis lost everything. Two versions behind one interface, run through the same tests: in
// memory, and in Redis.
import type { RedisCommands } from "../syncparty/directory.ts";

export interface PoolEntry {
  pool: string;
  /** The node that holds the device open. */
  node: string;
  /** Linked now (handshake done); otherwise connecting, or kept while its device is away. */
  up: boolean;
  buzzers: number[];
  /** Whether its buzzers have lights; null until the device is open. */
  colors: boolean | null;
}

export interface PoolDirectory {
  /** Write a pool's entry, unless another node holds that pool id: returns the node that holds it. */
  put(entry: PoolEntry): Promise<string>;
  /** The pool is no longer open on this node (only the holder's entry goes). */
  remove(pool: string, node: string): Promise<void>;
  /** Every pool of every node, by pool id. */
  all(): Promise<PoolEntry[]>;
  get(pool: string): Promise<PoolEntry | null>;
  /** A node is gone: its entries go. Returns them. */
  reap(node: string): Promise<PoolEntry[]>;
  /**
   * Put a node's entries back (Redis restarted, or the node was cut off and reaped): writes them,
   * drops the node's entries for pools it no longer has, and returns the pools another node holds now.
   */
  restore(node: string, entries: PoolEntry[]): Promise<string[]>;
}

const byPool = (a: PoolEntry, b: PoolEntry) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0);

export class MemoryPoolDirectory implements PoolDirectory {
  private readonly pools = new Map<string, PoolEntry>();

  async put(entry: PoolEntry): Promise<string> {
    const held = this.pools.get(entry.pool);
    if (held && held.node !== entry.node) return held.node;
    this.pools.set(entry.pool, copy(entry));
    return entry.node;
  }
  async remove(pool: string, node: string): Promise<void> {
    if (this.pools.get(pool)?.node === node) this.pools.delete(pool);
  }
  async all(): Promise<PoolEntry[]> {
    return [...this.pools.values()].map(copy).sort(byPool);
  }
  async get(pool: string): Promise<PoolEntry | null> {
    const e = this.pools.get(pool);
    return e ? copy(e) : null;
  }
  async reap(node: string): Promise<PoolEntry[]> {
    const gone = [...this.pools.values()].filter((e) => e.node === node);
    for (const e of gone) this.pools.delete(e.pool);
    return gone.sort(byPool);
  }
  async restore(node: string, entries: PoolEntry[]): Promise<string[]> {
    const keep = new Set(entries.map((e) => e.pool));
    for (const e of [...this.pools.values()]) if (e.node === node && !keep.has(e.pool)) this.pools.delete(e.pool);
    const taken: string[] = [];
    for (const e of entries) if ((await this.put({ ...e, node })) !== node) taken.push(e.pool);
    return taken;
  }
}

const copy = (e: PoolEntry): PoolEntry => ({ pool: e.pool, node: e.node, up: e.up, buzzers: [...e.buzzers], colors: e.colors });

/** One hash for all pools (a venue has a handful): field = pool id, value = the entry as JSON. */
const POOLS = "sb:buzzer:pools";

// Each entry names its node, so the scripts can tell whose it is without a second key.
const PUT = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then local node = cjson.decode(cur).node if node ~= ARGV[2] then return node end end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return ARGV[2]`;
const REMOVE = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cjson.decode(cur).node == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;
const REAP = `local all = redis.call('HGETALL', KEYS[1])
local gone = {}
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).node == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) gone[#gone + 1] = all[i + 1] end
end
return gone`;
// ARGV[1]: the node; ARGV[2..]: pool id, entry, pool id, entry… Returns the pool ids held elsewhere.
const RESTORE = `local keep = {}
for i = 2, #ARGV, 2 do keep[ARGV[i]] = true end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if not keep[all[i]] and cjson.decode(all[i + 1]).node == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) end
end
local taken = {}
for i = 2, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur and cjson.decode(cur).node ~= ARGV[1] then taken[#taken + 1] = ARGV[i]
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return taken`;

const parseEntry = (v: unknown): PoolEntry => JSON.parse(String(v)) as PoolEntry;
const encodeEntry = (e: PoolEntry) => JSON.stringify({ pool: e.pool, node: e.node, up: e.up, buzzers: e.buzzers, colors: e.colors });

/** RESP3 answers HGETALL with a map (an object), RESP2 with a flat list: values either way. */
function hashValues(reply: unknown): unknown[] {
  if (Array.isArray(reply)) return reply.filter((_, i) => i % 2 === 1);
  return reply && typeof reply === "object" ? Object.values(reply) : [];
}

export class RedisPoolDirectory implements PoolDirectory {
  constructor(private readonly redis: RedisCommands) {}

  async put(entry: PoolEntry): Promise<string> {
    return String(await this.redis.send("EVAL", [PUT, "1", POOLS, entry.pool, entry.node, encodeEntry(entry)]));
  }
  async remove(pool: string, node: string): Promise<void> {
    await this.redis.send("EVAL", [REMOVE, "1", POOLS, pool, node]);
  }
  async all(): Promise<PoolEntry[]> {
    return hashValues(await this.redis.send("HGETALL", [POOLS])).map(parseEntry).sort(byPool);
  }
  async get(pool: string): Promise<PoolEntry | null> {
    const v = await this.redis.send("HGET", [POOLS, pool]);
    return v == null ? null : parseEntry(v);
  }
  async reap(node: string): Promise<PoolEntry[]> {
    const gone = (await this.redis.send("EVAL", [REAP, "1", POOLS, node])) as unknown[] | null;
    return (gone ?? []).map(parseEntry).sort(byPool);
  }
  async restore(node: string, entries: PoolEntry[]): Promise<string[]> {
    const args = entries.flatMap((e) => [e.pool, encodeEntry({ ...e, node })]);
    const taken = (await this.redis.send("EVAL", [RESTORE, "1", POOLS, node, ...args])) as unknown[] | null;
    return (taken ?? []).map(String);
  }
}
