// Several nodes (docs/cluster.md#buzzer): what the buzzer needs of the cluster, and the Redis
// versions of its registries. A Cluster gives it; unit tests give fakes.
import type { Cluster } from "../../cluster/cluster.ts";
import { RedisPoolDirectory, type PoolDirectory } from "./directory.ts";
import { RedisLeaderStore, type LeaderStore } from "./leader.ts";
import { RedisPhoneRegistry, type PhoneRegistry } from "./phone-registry.ts";
import { DEFAULT_KEEP_MS, randomPhoneId } from "./phones.ts";
import type { NodeLink } from "./remote.ts";

export interface BuzzerPort {
  link: NodeLink;
  bus: {
    handle(prefix: string, fn: (topic: string, data: string) => void): void;
    retain(topic: string, byProtocol: true): void;
    release(topic: string, byProtocol: true): void;
    emit(topic: string, data: string): void;
  };
  directory: PoolDirectory;
  registry: PhoneRegistry;
  leaders: LeaderStore;
  onGone(fn: (node: string) => void): void;
  onReap(fn: (node: string) => Promise<void> | void): void;
  onResync(fn: () => Promise<void> | void): void;
  alive(node: string): boolean;
  ready(): boolean;
  heartbeatMs: number;
  timeoutMs: number;
  /** Whether another node cleared up after this one lately (it was seen gone: cut off, not just Redis restarting). */
  reaped(): Promise<boolean>;
}

export function buzzerPort(c: Cluster): BuzzerPort {
  return {
    link: c.messages,
    bus: c.bus,
    directory: new RedisPoolDirectory(c.redis),
    registry: new RedisPhoneRegistry(c.redis, DEFAULT_KEEP_MS, randomPhoneId),
    leaders: new RedisLeaderStore(c.redis),
    onGone: (fn) => c.presence.onGone(fn),
    onReap: (fn) => c.presence.onReap(fn),
    onResync: (fn) => c.onResync(fn),
    alive: (node) => c.presence.alive.has(node),
    ready: () => c.ready,
    heartbeatMs: c.opts.heartbeatMs,
    timeoutMs: c.opts.nodeTimeoutMs,
    // The lock presence takes to clear up after a node (src/cluster/presence.ts), kept four node timeouts.
    reaped: async () => Number(await c.redis.send("EXISTS", [`sb:reap:${c.nodeId}`])) === 1,
  };
}
