// Client ids shared by several nodes through Redis (docs/cluster.md#metronome): the IdAllocator of
// registry.ts, cluster-wide. A new id is INCR on one counter; which connection holds an id is a
// hash id → node (and a set per node, so the ids of a node that is gone can be released). Each step
// is one Lua script, so no id is ever held twice: a reclaim cannot slip between an INCR and its
// holder's entry.
import { RedisScript } from "../../cluster/script.ts";
import type { Logger } from "../../log.ts";
import { Unavailable, type IdAllocator } from "./registry.ts";

export const IDS_KEY = "sb:m:ids";
export const HOLDER_KEY = "sb:m:holder";
export const heldKey = (node: string) => `sb:m:held:${node}`;

/** The part of a Cluster (src/cluster/cluster.ts) the shared registries use. */
export interface SharedCluster {
  readonly nodeId: string;
  readonly redis: { send(command: string, args: string[]): Promise<any> };
  readonly presence: { onGone(fn: (node: string) => void): void; onReap(fn: (node: string) => Promise<void> | void): void };
  readonly bus: {
    handle(prefix: string, fn: (topic: string, data: string) => void): void;
    retain(topic: string, byProtocol: true): Promise<void>;
    release(topic: string, byProtocol: true): void;
    envelope(topic: string, data: string): { channel: string; message: string };
  };
  onResync(fn: () => Promise<void> | void): void;
  readonly opts: { nodeTimeoutMs: number };
}

// KEYS: counter, holder, held:<node>. ARGV: node, floor (the highest id this node has seen: after
// Redis lost its data the counter starts again above it), then skip ids still held (put back by
// another node's resync).
const NEXT = new RedisScript(`local id = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[2])
if id <= floor then id = floor + 1 redis.call('SET', KEYS[1], id) end
while redis.call('HEXISTS', KEYS[2], id) == 1 do id = redis.call('INCR', KEYS[1]) end
redis.call('HSET', KEYS[2], id, ARGV[1])
redis.call('SADD', KEYS[3], id)
return id`);
// ARGV: node, id. Free: issued (not above the counter) and held by nobody.
const RECLAIM = new RedisScript(`if tonumber(ARGV[2]) > tonumber(redis.call('GET', KEYS[1]) or '0') then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[2])
return 1`);
// KEYS: holder, held:<node>. ARGV: node, id.
const RELEASE = new RedisScript(`if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
redis.call('SREM', KEYS[2], ARGV[2])
return 1`);
// KEYS: holder, held:<node>. ARGV: node. Every id the node held is free.
const REAP = new RedisScript(`local ids = redis.call('SMEMBERS', KEYS[2])
for _, id in ipairs(ids) do if redis.call('HGET', KEYS[1], id) == ARGV[1] then redis.call('HDEL', KEYS[1], id) end end
redis.call('DEL', KEYS[2])
return #ids`);
// KEYS: counter, holder, held:<node>. ARGV: node, highest, ids… After Redis came back: this node's
// ids are held again (unless another node took one meanwhile: it keeps it), the counter at least
// the highest this node has seen. Returns the ids another node holds now.
const RESTORE = new RedisScript(`local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c < tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[2]) end
local taken = {}
for i = 3, #ARGV do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[1]) == 1 or redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then redis.call('SADD', KEYS[3], ARGV[i])
  else taken[#taken + 1] = ARGV[i] end
end
return taken`);

/**
 * p's value within ms, else a rejection with Unavailable (and its failure is Unavailable too: Redis
 * out of reach is not a bug); `late` gets a value that came after the deadline, to undo it.
 */
export function within<T>(p: Promise<T>, ms: number, late?: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let over = false;
    const timer = setTimeout(() => {
      over = true;
      reject(new Unavailable("redis did not answer in time"));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (over) late?.(v);
        else resolve(v);
      },
      (e: Error) => {
        clearTimeout(timer);
        if (!over) reject(e instanceof Unavailable ? e : new Unavailable(e.message));
      },
    );
  });
}

/** At most this many ids per RESTORE call. */
const RESTORE_BATCH = 1000;

export class SharedIds implements IdAllocator {
  /** Ids held by this node's connections. */
  private readonly held = new Set<number>();
  /** The highest id this node was handed or took back. */
  private highest = 0;
  private readonly node: string;
  private readonly keys: string[];

  constructor(private readonly cluster: SharedCluster, private readonly log: Logger) {
    this.node = cluster.nodeId;
    this.keys = [IDS_KEY, HOLDER_KEY, heldKey(this.node)];
    // What a node of the same name left before it restarted is nobody's now. Sent first, so Redis
    // runs it before anything this node asks.
    void this.reap(this.node).catch((e: Error) => log.warn("metronome: clearing this node's old ids failed", { err: e.message }));
    cluster.presence.onReap((node) => this.reap(node).then(() => {}));
    cluster.onResync(() => this.restore());
  }

  private eval<T>(script: RedisScript, keys: string[], args: string[], late?: (v: T) => void): Promise<T> {
    return within(script.run<T>(this.cluster.redis, keys, args), this.cluster.opts.nodeTimeoutMs, late);
  }

  private hold(id: number): number {
    this.held.add(id);
    if (id > this.highest) this.highest = id;
    return id;
  }

  next(): Promise<number> {
    return this.eval<number>(NEXT, this.keys, [this.node, String(this.highest)], (id) => void this.free(Number(id))).then((id) => this.hold(Number(id)));
  }

  reclaim(id: number): boolean | Promise<boolean> {
    if (!Number.isSafeInteger(id) || id < 1) return false;
    return this.eval<number>(RECLAIM, this.keys, [this.node, String(id)], (yes) => void (yes === 1 && this.free(id))).then((yes) => yes === 1 && this.hold(id) > 0);
  }

  release(id: number): Promise<void> {
    this.held.delete(id);
    return this.free(id);
  }

  private free(id: number): Promise<void> {
    return RELEASE.run(this.cluster.redis, [HOLDER_KEY, heldKey(this.node)], [this.node, String(id)]).then(
      () => {},
      (e: Error) => this.log.debug("metronome: releasing an id failed", { id, err: e.message }),
    );
  }

  /** The ids `node` held are free (it is gone; or it is this node, started again). */
  private reap(node: string): Promise<number> {
    return REAP.run<number>(this.cluster.redis, [HOLDER_KEY, heldKey(node)], [node]);
  }

  /** After Redis came back (it may have lost everything): this node's ids and the counter. */
  async restore(): Promise<void> {
    const ids = [...this.held].map(String);
    for (let i = 0; i === 0 || i < ids.length; i += RESTORE_BATCH) {
      const taken = await RESTORE.run<unknown[]>(this.cluster.redis, this.keys, [this.node, String(this.highest), ...ids.slice(i, i + RESTORE_BATCH)]);
      if (taken.length) this.log.warn("metronome: ids another node holds now (it handed them out while this node was cut off)", { ids: taken.join(",") });
    }
  }

  /** Ids held on this node (tests, health). */
  get holding(): number {
    return this.held.size;
  }
}
