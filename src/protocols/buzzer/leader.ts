// Several nodes (docs/cluster.md#buzzer): one quiz game for the whole cluster, run by one node,
// the leader. The lead is a Redis key with a time to live that its holder refreshes every
// heartbeat; another node takes it only once the holder is gone (or the key is free and no
// leader is known), so a Redis restart does not move the game. A node cut off from Redis runs
// the game for its own sockets alone. The store has two versions behind one interface, run
// through the same tests: in memory, and in Redis.
import type { RedisCommands } from "../syncparty/directory.ts";

export interface Claim {
  /** The node that holds the lead after the call; "" when nobody does (and this node may not take it). */
  holder: string;
  /** The highest round number any leader has started (0 before the first). */
  round: number;
}

export interface LeaderStore {
  /** Refresh the lead if `node` holds it; take it if it is free and `mayTake`. `now`: wall-clock ms. */
  claim(node: string, ttlMs: number, mayTake: boolean, now: number): Promise<Claim>;
  /** The lead of a node that is gone is free (a no-op if another node holds it). */
  drop(node: string): Promise<void>;
  /** The leader started round n (kept only if higher than the one kept). */
  saveRound(n: number): Promise<void>;
}

export class MemoryLeaderStore implements LeaderStore {
  private holder: string | null = null;
  private until = 0;
  private round = 0;

  async claim(node: string, ttlMs: number, mayTake: boolean, now: number): Promise<Claim> {
    if (this.holder !== null && now >= this.until) this.holder = null;
    if (this.holder === node || (this.holder === null && mayTake)) {
      this.holder = node;
      this.until = now + ttlMs;
    }
    return { holder: this.holder ?? "", round: this.round };
  }
  async drop(node: string): Promise<void> {
    if (this.holder === node) this.holder = null;
  }
  async saveRound(n: number): Promise<void> {
    this.round = Math.max(this.round, n);
  }
}

const LEADER = "sb:buzzer:leader";
const ROUND = "sb:buzzer:round";
// KEYS: the lead, the round; ARGV: node, ttl, may take (1/0).
const CLAIM = `local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] or (not cur and ARGV[3] == '1') then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) cur = ARGV[1]
end
return {cur or '', tonumber(redis.call('GET', KEYS[2]) or '0')}`;
const DROP = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 0`;
const SAVE = `if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 0`;

export class RedisLeaderStore implements LeaderStore {
  constructor(private readonly redis: RedisCommands) {}

  async claim(node: string, ttlMs: number, mayTake: boolean): Promise<Claim> {
    const [holder, round] = (await this.redis.send("EVAL", [CLAIM, "2", LEADER, ROUND, node, String(Math.max(1, Math.round(ttlMs))), mayTake ? "1" : "0"])) as [unknown, unknown];
    return { holder: String(holder ?? ""), round: Number(round ?? 0) };
  }
  async drop(node: string): Promise<void> {
    await this.redis.send("EVAL", [DROP, "1", LEADER, node]);
  }
  async saveRound(n: number): Promise<void> {
    await this.redis.send("EVAL", [SAVE, "1", ROUND, String(n)]);
  }
}

/** lead: this node runs the cluster's game; follow: `leader` does; alone: cut off from Redis, this node runs a game for its own sockets. */
export type Role = "none" | "lead" | "follow" | "alone";

export interface LeadershipDeps {
  node: string;
  store: LeaderStore;
  ttlMs: number;
  now(): number;
  ready(): boolean;
  alive(node: string): boolean;
  /** Bounds a store call (Redis out of reach). */
  within<T>(work: Promise<T>): Promise<T>;
  /**
   * The role changed. `round`: the highest round any leader started; `continues`: this node's game
   * goes on as the cluster's (it led until it was cut off, and leads again).
   */
  changed(prev: Role, next: Role, leader: string | null, info: { round: number; continues: boolean }): void;
}

export class Leadership {
  role: Role = "none";
  leader: string | null = null;
  /** The game this node runs is the cluster's (it led before it was cut off). */
  private ownsGame = false;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: LeadershipDeps) {}

  /** Look again (every heartbeat, when a node is gone, after Redis came back). One look at a time. */
  tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.look().catch(() => {});
      } while (this.again);
      this.running = null;
    })();
    return this.running;
  }

  /** A node is gone: if it led, its lead is free now. */
  async gone(node: string): Promise<void> {
    if (node !== this.leader) return;
    this.leader = null; // whoever holds the lead now is the leader; anyone may take it
    await this.deps.within(this.deps.store.drop(node)).catch(() => {});
    await this.tick();
  }

  private async look(): Promise<void> {
    const d = this.deps;
    if (!d.ready()) return this.set("alone", this.leader, 0);
    const mayTake = this.ownsGame || this.leader === null || this.leader === d.node || !d.alive(this.leader);
    const { holder, round } = await d.within(d.store.claim(d.node, d.ttlMs, mayTake, d.now()));
    if (!d.ready()) return;
    if (holder === d.node) this.set("lead", d.node, round);
    else if (holder) this.set("follow", holder, round);
    else if (this.leader !== null && this.leader !== d.node) this.set("follow", this.leader, round); // it will take its lead back
  }

  private set(role: Role, leader: string | null, round: number): void {
    const prev = this.role;
    if (prev === role && this.leader === leader) return;
    const continues = role === "lead" && this.ownsGame;
    this.role = role;
    this.leader = leader;
    if (role === "lead") this.ownsGame = true;
    else if (role === "follow") this.ownsGame = false;
    this.deps.changed(prev, role, leader, { round, continues });
  }
}
