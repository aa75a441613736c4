// Fan-out across nodes (docs/cluster.md#fan-out): a publish to a topic reaches the local
// subscribers through Bun's native topics and the other nodes through Redis PUB/SUB, one channel
// per topic. A node subscribes to a topic's channel only while it has a local subscriber, so no
// node receives what nobody there listens to. Frames carry the sending node's id so a node never
// delivers its own publish twice. Pure apart from the RedisLink it is given.

export const TOPIC_PREFIX = "sb:t:";
/** A topic name starting with this stays on its node (see isLocal). */
export const LOCAL_TOPIC = "local:";
/** How long a channel nobody here listens to any more stays subscribed (a socket leaving and coming back). */
export const UNSUBSCRIBE_AFTER_MS = 2000;

export interface BusLink {
  /** Settles once Redis has confirmed the subscription. */
  subscribe(channel: string): void | Promise<unknown>;
  unsubscribe(channel: string): void;
  publish(channel: string, message: string): void;
}

const SUBSCRIBED: Promise<void> = Promise.resolve();

export class ClusterBus {
  private readonly interest = new Map<string, number>();
  private readonly leaving = new Map<string, ReturnType<typeof setTimeout>>();
  /** Each subscribed channel's confirmation, by topic. */
  private readonly subscribed = new Map<string, Promise<void>>();
  /** Topic prefixes whose protocol carries its own events across nodes (see handle). */
  private readonly handlers: Array<[prefix: string, fn: (topic: string, data: string) => void]> = [];

  constructor(
    readonly nodeId: string,
    private readonly link: BusLink,
    /** Deliver a frame from another node to this node's subscribers of the topic. */
    private readonly deliverLocal: (topic: string, data: string) => void,
  ) {}

  /**
   * Topics that are this node's alone never go to Redis: a connection's own topic, and `local:`
   * topics, which a protocol carries to other nodes itself (watch-party rooms: docs/cluster.md#watch-party).
   */
  static isLocal(topic: string): boolean {
    return topic.startsWith("conn:") || topic.startsWith(LOCAL_TOPIC);
  }

  /**
   * A protocol whose frames differ per node (the metronome's start_ts are in each phone's clock,
   * the buzzer's ts in each node's)
   * carries its own events across nodes for the topics under `prefix`: frames published to those
   * topics stay on this node, and what other nodes emit() on them goes to fn, not to the sockets.
   * Sockets subscribing to such a topic do not subscribe its channel: the protocol does
   * (retain(topic, true)) while it needs what other nodes emit there.
   */
  handle(prefix: string, fn: (topic: string, data: string) => void): void {
    this.handlers.push([prefix, fn]);
  }

  private handlerOf(topic: string): ((topic: string, data: string) => void) | null {
    for (const [prefix, fn] of this.handlers) if (topic.startsWith(prefix)) return fn;
    return null;
  }

  /**
   * A local socket listens to the topic (or, `byProtocol`, the protocol that handles it); settles
   * once the channel is subscribed.
   */
  retain(topic: string, byProtocol = false): Promise<void> {
    if (ClusterBus.isLocal(topic) || (!byProtocol && this.handlerOf(topic))) return SUBSCRIBED;
    const n = (this.interest.get(topic) ?? 0) + 1;
    this.interest.set(topic, n);
    const pending = this.leaving.get(topic);
    if (pending) {
      clearTimeout(pending);
      this.leaving.delete(topic);
    }
    if (n === 1 && !pending) {
      const done = Promise.resolve(this.link.subscribe(TOPIC_PREFIX + topic)).then(
        () => {},
        () => {},
      );
      this.subscribed.set(topic, done);
    }
    return this.subscribed.get(topic) ?? SUBSCRIBED;
  }

  /** A local socket unsubscribed (or closed); `byProtocol` as for retain. */
  release(topic: string, byProtocol = false): void {
    if (ClusterBus.isLocal(topic) || (!byProtocol && this.handlerOf(topic))) return;
    const n = (this.interest.get(topic) ?? 0) - 1;
    if (n > 0) return void this.interest.set(topic, n);
    this.interest.delete(topic);
    if (this.leaving.has(topic)) return;
    const t = setTimeout(() => {
      this.leaving.delete(topic);
      if (this.interest.has(topic)) return;
      this.subscribed.delete(topic);
      this.link.unsubscribe(TOPIC_PREFIX + topic);
    }, UNSUBSCRIBE_AFTER_MS);
    (t as { unref?: () => void }).unref?.();
    this.leaving.set(topic, t);
  }

  /** Publish to the other nodes (the local delivery is the caller's native publish). */
  publish(topic: string, data: string): void {
    if (!ClusterBus.isLocal(topic) && !this.handlerOf(topic)) this.link.publish(TOPIC_PREFIX + topic, `${this.nodeId}\n${data}`);
  }

  /** An event of a handled topic (see handle) to the other nodes that listen to it. */
  emit(topic: string, data: string): void {
    const m = this.envelope(topic, data);
    this.link.publish(m.channel, m.message);
  }

  /** What emit() publishes, for a protocol that publishes it itself, in one Redis script with a write. */
  envelope(topic: string, data: string): { channel: string; message: string } {
    return { channel: TOPIC_PREFIX + topic, message: `${this.nodeId}\n${data}` };
  }

  /** A message on a topic channel, from Redis. */
  receive(channel: string, message: string): boolean {
    if (!channel.startsWith(TOPIC_PREFIX)) return false;
    const nl = message.indexOf("\n");
    if (nl < 0 || message.slice(0, nl) === this.nodeId) return true;
    const topic = channel.slice(TOPIC_PREFIX.length);
    (this.handlerOf(topic) ?? this.deliverLocal)(topic, message.slice(nl + 1));
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
