// Fan-out across nodes (docs/cluster.md#fan-out): a publish to a topic reaches the local
// subscribers through Bun's native topics and the other nodes through Redis PUB/SUB, one channel
// per topic. A node subscribes to a topic's channel only while it has a local subscriber, so no
// node receives what nobody there listens to. Frames carry the sending node's id so a node never
// delivers its own publish twice. Pure apart from the RedisLink it is given.

export const TOPIC_PREFIX = "sb:t:";
/** How long a channel nobody here listens to any more stays subscribed (a socket leaving and coming back). */
export const UNSUBSCRIBE_AFTER_MS = 2000;

export interface BusLink {
  subscribe(channel: string): void;
  unsubscribe(channel: string): void;
  publish(channel: string, message: string): void;
}

export class ClusterBus {
  private readonly interest = new Map<string, number>();
  private readonly leaving = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    readonly nodeId: string,
    private readonly link: BusLink,
    /** Deliver a frame from another node to this node's subscribers of the topic. */
    private readonly deliverLocal: (topic: string, data: string) => void,
  ) {}

  /** Topics that are this node's alone (a connection's own topic) never go to Redis. */
  static isLocal(topic: string): boolean {
    return topic.startsWith("conn:");
  }

  /** A local socket subscribed to the topic. */
  retain(topic: string): void {
    if (ClusterBus.isLocal(topic)) return;
    const n = (this.interest.get(topic) ?? 0) + 1;
    this.interest.set(topic, n);
    const pending = this.leaving.get(topic);
    if (pending) {
      clearTimeout(pending);
      this.leaving.delete(topic);
    }
    if (n === 1 && !pending) this.link.subscribe(TOPIC_PREFIX + topic);
  }

  /** A local socket unsubscribed (or closed). */
  release(topic: string): void {
    const n = (this.interest.get(topic) ?? 0) - 1;
    if (n > 0) return void this.interest.set(topic, n);
    this.interest.delete(topic);
    if (this.leaving.has(topic)) return;
    const t = setTimeout(() => {
      this.leaving.delete(topic);
      if (!this.interest.has(topic)) this.link.unsubscribe(TOPIC_PREFIX + topic);
    }, UNSUBSCRIBE_AFTER_MS);
    (t as { unref?: () => void }).unref?.();
    this.leaving.set(topic, t);
  }

  /** Publish to the other nodes (the local delivery is the caller's native publish). */
  publish(topic: string, data: string): void {
    if (!ClusterBus.isLocal(topic)) this.link.publish(TOPIC_PREFIX + topic, `${this.nodeId}\n${data}`);
  }

  /** A message on a topic channel, from Redis. */
  receive(channel: string, message: string): boolean {
    if (!channel.startsWith(TOPIC_PREFIX)) return false;
    const nl = message.indexOf("\n");
    if (nl < 0 || message.slice(0, nl) === this.nodeId) return true;
    this.deliverLocal(channel.slice(TOPIC_PREFIX.length), message.slice(nl + 1));
    return true;
  }

  /** Topics this node listens to now (for /healthz and tests). */
  get topics(): number {
    return this.interest.size;
  }

  stop(): void {
    for (const t of this.leaving.values()) clearTimeout(t);
    this.leaving.clear();
  }
}
