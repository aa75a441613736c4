// Several nodes (docs/cluster.md#watch-party): which node holds each watch-party room. A room
// lives on the node that created it; the directory maps its id to that node, so a create of an
// existing id anywhere is room_exists and every node knows where to send a room's messages.
// With it an index per node (the ids it holds), so the rooms of a node that is gone can be
// forgotten, and a node can put its own back after Redis lost everything. Two versions behind
// one interface, run through the same tests: in memory, and in Redis.

export interface RoomDirectory {
  /** Claim a room id for a node; false if some node holds it already. */
  claim(room: string, node: string): Promise<boolean>;
  /** The node that holds this room id, or null. */
  owner(room: string): Promise<string | null>;
  /** Give an id up; only the node that holds it can (a no-op otherwise). */
  release(room: string, node: string): Promise<void>;
  /** Claim these ids again (Redis restarted). Returns those another node holds now. */
  restore(node: string, rooms: string[]): Promise<string[]>;
  /** A node is gone: forget every id it held. Returns how many. */
  reap(node: string): Promise<number>;
  /** The ids a node holds (its index), sorted. */
  roomsOf(node: string): Promise<string[]>;
}

export class MemoryDirectory implements RoomDirectory {
  private readonly owners = new Map<string, string>();
  private readonly index = new Map<string, Set<string>>();

  async claim(room: string, node: string): Promise<boolean> {
    if (this.owners.has(room)) return false;
    this.take(room, node);
    return true;
  }
  async owner(room: string): Promise<string | null> {
    return this.owners.get(room) ?? null;
  }
  async release(room: string, node: string): Promise<void> {
    if (this.owners.get(room) === node) this.owners.delete(room);
    this.index.get(node)?.delete(room);
  }
  async restore(node: string, rooms: string[]): Promise<string[]> {
    const taken: string[] = [];
    for (const room of rooms) {
      const held = this.owners.get(room);
      if (held === undefined || held === node) this.take(room, node);
      else taken.push(room);
    }
    return taken;
  }
  async reap(node: string): Promise<number> {
    const ids = this.index.get(node) ?? new Set<string>();
    let n = 0;
    for (const room of ids) if (this.owners.get(room) === node && this.owners.delete(room)) n++;
    this.index.delete(node);
    return n;
  }
  async roomsOf(node: string): Promise<string[]> {
    return [...(this.index.get(node) ?? [])].sort();
  }
  private take(room: string, node: string): void {
    this.owners.set(room, node);
    let s = this.index.get(node);
    if (!s) this.index.set(node, (s = new Set()));
    s.add(room);
  }
}

/** What the Redis version needs of a client (Bun's RedisClient has it). */
export interface RedisCommands {
  send(command: string, args: string[]): Promise<unknown>;
}

const ROOM = "sb:party:room:";
const INDEX = "sb:party:node:";
/** Ids per script call when a node puts its rooms back. */
const RESTORE_BATCH = 500;

// Each change is one script, so the id and the index never disagree.
const CLAIM = `if redis.call('SET', KEYS[1], ARGV[1], 'NX') then redis.call('SADD', KEYS[2], ARGV[2]) return 1 end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end redis.call('SREM', KEYS[2], ARGV[2]) return 0`;
// KEYS[1]: the index; KEYS[2..]: room keys; ARGV[1]: the node; ARGV[2..]: the ids. Returns the ids held elsewhere.
const RESTORE = `local taken = {}
for i = 2, #KEYS do
  local held = redis.call('GET', KEYS[i])
  if not held or held == ARGV[1] then
    redis.call('SET', KEYS[i], ARGV[1]) redis.call('SADD', KEYS[1], ARGV[i])
  else taken[#taken + 1] = ARGV[i] end
end
return taken`;
// The room keys are made from the index inside the script: one Redis, not a Redis Cluster.
const REAP = `local n = 0
for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local k = ARGV[2] .. room
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) n = n + 1 end
end
redis.call('DEL', KEYS[1])
return n`;

export class RedisDirectory implements RoomDirectory {
  constructor(private readonly redis: RedisCommands) {}

  async claim(room: string, node: string): Promise<boolean> {
    return Number(await this.redis.send("EVAL", [CLAIM, "2", ROOM + room, INDEX + node, node, room])) === 1;
  }
  async owner(room: string): Promise<string | null> {
    const v = await this.redis.send("GET", [ROOM + room]);
    return v == null ? null : String(v);
  }
  async release(room: string, node: string): Promise<void> {
    await this.redis.send("EVAL", [RELEASE, "2", ROOM + room, INDEX + node, node, room]);
  }
  async restore(node: string, rooms: string[]): Promise<string[]> {
    const taken: string[] = [];
    for (let i = 0; i < rooms.length; i += RESTORE_BATCH) {
      const ids = rooms.slice(i, i + RESTORE_BATCH);
      const keys = [INDEX + node, ...ids.map((r) => ROOM + r)];
      const got = (await this.redis.send("EVAL", [RESTORE, String(keys.length), ...keys, node, ...ids])) as unknown[] | null;
      for (const r of got ?? []) taken.push(String(r));
    }
    return taken;
  }
  async reap(node: string): Promise<number> {
    return Number(await this.redis.send("EVAL", [REAP, "1", INDEX + node, node, ROOM]));
  }
  async roomsOf(node: string): Promise<string[]> {
    return ((await this.redis.send("SMEMBERS", [INDEX + node])) as unknown[]).map(String).sort();
  }
}
