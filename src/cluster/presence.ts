// Which nodes are alive (docs/cluster.md#nodes-and-failures). Each node refreshes its entry in a
// Redis sorted set (score: the instant it expires) every heartbeat; an entry whose instant has
// passed belongs to a node that died (or lost Redis for longer than the timeout). Every node runs
// its local reactions to a departure (its sockets' view: groups dissolved, commands failed), and
// one of them, chosen by a lock, clears the shared state the dead node left behind.
import type { RedisClient } from "bun";
import type { Logger } from "../log.ts";

export const NODES_KEY = "sb:nodes";

export interface PresenceOptions {
  nodeId: string;
  /** How often this node says it is alive (ms). */
  heartbeatMs: number;
  /** After how long without a heartbeat a node counts as gone (ms). */
  timeoutMs: number;
}

/** WITHSCORES answers as [member, score] pairs (RESP3) or as one flat list (RESP2): either way, pairs. */
function pairs(reply: unknown): Array<[string, number]> {
  const list = reply as unknown[];
  if (list.length && Array.isArray(list[0])) return (list as [string, unknown][]).map(([m, s]) => [String(m), Number(s)]);
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([String(list[i]), Number(list[i + 1])]);
  return out;
}

export class Presence {
  /** Nodes seen alive at the last check (self included). */
  alive = new Set<string>();
  /** The last expiry instant seen for each node. */
  private readonly expiry = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly goneHandlers: Array<(node: string) => void> = [];
  private readonly reapHandlers: Array<(node: string) => Promise<void> | void> = [];

  constructor(private readonly redis: RedisClient, private readonly opts: PresenceOptions, private readonly log: Logger) {}

  /** Run on every node when another node is gone: local reactions. */
  onGone(fn: (node: string) => void): void {
    this.goneHandlers.push(fn);
  }

  /** Run on one node when another is gone: clearing the shared state it held. */
  onReap(fn: (node: string) => Promise<void> | void): void {
    this.reapHandlers.push(fn);
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((e: Error) => this.log.debug("heartbeat failed", { err: e.message })), this.opts.heartbeatMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Refresh this node, then look for nodes whose time ran out. */
  /** `comingBack`: also while the connection is not up yet (a resync), queued until it is. */
  async beat(comingBack = false): Promise<void> {
    // Cut off from Redis: no heartbeat waits in the client's queue, to land later with an instant
    // already past (another node would take this one for gone again, just after it came back).
    if (!comingBack && !this.redis.connected) return;
    const now = Date.now();
    await this.redis.send("ZADD", [NODES_KEY, String(now + this.opts.timeoutMs), this.opts.nodeId]);
    const alive = new Set<string>();
    const listed = new Set<string>();
    for (const [node, expires] of pairs(await this.redis.send("ZRANGE", [NODES_KEY, "0", "-1", "WITHSCORES"]))) {
      listed.add(node);
      this.expiry.set(node, expires);
      if (expires > now) alive.add(node);
      else if (node !== this.opts.nodeId) await this.gone(node);
    }
    // A node no longer listed was cleared up by another node, or Redis lost the set (it
    // restarted): either way it counts as alive until the last expiry seen for it, and as gone
    // after that unless it has put itself back. So every node runs its reactions to a departure,
    // also one whose heartbeat came after another node cleared up.
    for (const [node, expires] of this.expiry) {
      if (listed.has(node) || node === this.opts.nodeId) continue;
      if (expires > now) alive.add(node);
      else await this.gone(node);
    }
    alive.add(this.opts.nodeId);
    for (const node of this.alive) if (!alive.has(node) && node !== this.opts.nodeId) this.log.info("node gone", { node });
    this.alive = alive;
  }

  private async gone(node: string): Promise<void> {
    this.expiry.delete(node);
    for (const fn of this.goneHandlers) fn(node);
    // One node clears up; the others only saw it go.
    const lock = await this.redis.send("SET", [`sb:reap:${node}`, this.opts.nodeId, "NX", "PX", String(this.opts.timeoutMs * 4)]);
    if (lock !== "OK") return;
    this.log.info("clearing up after a node that is gone", { node });
    for (const fn of this.reapHandlers) await Promise.resolve(fn(node)).catch((e: Error) => this.log.warn("clearing up failed", { node, err: e.message }));
    await this.redis.send("ZREM", [NODES_KEY, node]);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A node that stops in order leaves at once instead of after its timeout.
    await this.redis.send("ZADD", [NODES_KEY, "0", this.opts.nodeId]).catch(() => {});
  }
}
