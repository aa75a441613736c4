// Several nodes sharing state through Redis (docs/cluster.md). One Cluster per node: the Redis
// link, topic fan-out (bus), node presence and node-addressed messages. Without --redis there is
// no Cluster and nothing changes: every registry is the in-memory/SQLite one.
import { hostname } from "node:os";
import type { Logger } from "../log.ts";
import { ClusterBus } from "./bus.ts";
import { NodeMessages } from "./messages.ts";
import { Presence } from "./presence.ts";
import { RedisLink } from "./redis.ts";

export interface ClusterOptions {
  redisUrl: string;
  nodeId: string;
  heartbeatMs: number;
  nodeTimeoutMs: number;
}

export const defaultNodeId = () => `${hostname()}-${process.pid}`;

export class Cluster {
  readonly bus: ClusterBus;
  readonly messages: NodeMessages;
  readonly presence: Presence;
  readonly link: RedisLink;
  private readonly resyncs: Array<() => Promise<void> | void> = [];

  private constructor(readonly nodeId: string, link: RedisLink, bus: ClusterBus, presence: Presence, readonly opts: ClusterOptions, private readonly log: Logger) {
    this.link = link;
    this.bus = bus;
    this.presence = presence;
    this.messages = new NodeMessages(nodeId, link);
    link.onReconnect = () => void this.resync();
  }

  /** Connect to Redis and announce this node. deliverLocal: publish a frame from another node to local subscribers. */
  static async start(opts: ClusterOptions, log: Logger, deliverLocal: (topic: string, data: string) => void): Promise<Cluster> {
    let cluster: Cluster | null = null;
    const link = new RedisLink(opts.redisUrl, log, (message, channel) => {
      if (!cluster) return;
      if (!cluster.bus.receive(channel, message)) cluster.messages.receive(channel, message);
    });
    await link.connect();
    const bus = new ClusterBus(opts.nodeId, link, deliverLocal);
    const presence = new Presence(link.cmd, { nodeId: opts.nodeId, heartbeatMs: opts.heartbeatMs, timeoutMs: opts.nodeTimeoutMs }, log);
    cluster = new Cluster(opts.nodeId, link, bus, presence, opts, log);
    await presence.start();
    log.info("cluster node up", { node: opts.nodeId, redis: opts.redisUrl.replace(/\/\/[^@]*@/, "//…@") });
    return cluster;
  }

  get redis() {
    return this.link.cmd;
  }

  /**
   * After Redis came back (it may have restarted and lost everything): each registry puts this
   * node's part of the shared state back.
   */
  onResync(fn: () => Promise<void> | void): void {
    this.resyncs.push(fn);
  }

  private async resync(): Promise<void> {
    await this.presence.beat(true).catch(() => {});
    for (const fn of this.resyncs) await Promise.resolve(fn()).catch((e: Error) => this.log.warn("resync failed", { err: e.message }));
  }

  /** Ready for traffic: Redis reachable, or out of reach for less than the node timeout. */
  get ready(): boolean {
    return this.link.downFor() < this.opts.nodeTimeoutMs;
  }

  health() {
    return { node: this.nodeId, redis: this.link.up ? "up" : "down", ready: this.ready, nodes: [...this.presence.alive].sort(), topics: this.bus.topics };
  }

  async stop(): Promise<void> {
    this.bus.stop();
    this.messages.stop();
    await this.presence.stop();
    this.link.close();
  }
}
