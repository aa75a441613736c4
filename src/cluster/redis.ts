// The Redis connections of one node (docs/cluster.md): one for commands, one in subscribed mode.
// Bun's RedisClient reconnects by itself but does not subscribe again after a reconnect, and a
// restarted Redis has forgotten every subscription: this link keeps the set of channels and
// subscribes to them again whenever the subscriber connection comes back.
import { RedisClient } from "bun";
import type { Logger } from "../log.ts";

/** How often the link looks whether its connections are up (the node timeout is counted from the first look that finds one down). */
const SAMPLE_MS = 100;

export type ChannelListener = (message: string, channel: string) => void;

export class RedisLink {
  readonly cmd: RedisClient;
  private readonly sub: RedisClient;
  private readonly channels = new Set<string>();
  /** Called after the subscriber connection came back and resubscribed (a Redis restart): resynchronise. */
  onReconnect: () => void = () => {};
  private everConnected = false;
  private downSince: number | null = null;
  /** Bun calls onclose only when it gives up, not when a connection drops and it retries: look. */
  private readonly sampler: ReturnType<typeof setInterval>;

  constructor(readonly url: string, private readonly log: Logger, private readonly listener: ChannelListener) {
    const options = { autoReconnect: true, maxRetries: 1_000_000, enableOfflineQueue: true, connectionTimeout: 2000 };
    this.cmd = new RedisClient(url, options);
    this.sub = new RedisClient(url, options);
    this.cmd.onclose = (e: Error) => this.markDown("commands", e?.message);
    this.sub.onclose = (e: Error) => this.markDown("subscriber", e?.message);
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS);
    (this.sampler as { unref?: () => void }).unref?.();
    this.cmd.onconnect = () => (this.downSince = null);
    this.sub.onconnect = () => {
      this.downSince = null;
      if (!this.everConnected) return void (this.everConnected = true);
      this.log.info("redis connection back: subscribing again", { channels: this.channels.size });
      if (this.channels.size) void this.sub.subscribe([...this.channels], this.listener).catch(() => {});
      this.onReconnect();
    };
  }

  async connect(): Promise<void> {
    await Promise.all([this.cmd.connect(), this.sub.connect()]);
    this.everConnected = true;
  }

  /** Both connections are up. */
  get up(): boolean {
    return this.cmd.connected && this.sub.connected;
  }

  /** How long Redis has been out of reach (ms; 0 while up). */
  downFor(now = performance.now()): number {
    this.sample();
    return this.up || this.downSince === null ? 0 : now - this.downSince;
  }

  private sample(): void {
    if (!this.everConnected) return;
    if (this.up) this.downSince = null;
    else this.markDown(this.cmd.connected ? "subscriber" : "commands");
  }

  private markDown(which: string, err?: string): void {
    if (this.downSince !== null) return;
    this.downSince = performance.now();
    this.log.warn("redis connection lost", { which, err });
  }

  /** Settles once Redis confirmed the subscription (or it failed: logged). */
  subscribe(channel: string): Promise<void> {
    if (this.channels.has(channel)) return Promise.resolve();
    this.channels.add(channel);
    return this.sub.subscribe(channel, this.listener).then(
      () => {},
      (e: Error) => this.log.debug("redis subscribe failed", { channel, err: e.message }),
    );
  }

  unsubscribe(channel: string): void {
    if (!this.channels.delete(channel)) return;
    void this.sub.unsubscribe(channel).catch(() => {});
  }

  publish(channel: string, message: string): void {
    void this.cmd.publish(channel, message).catch((e: Error) => this.log.debug("redis publish failed", { channel, err: e.message }));
  }

  close(): void {
    clearInterval(this.sampler);
    this.cmd.close();
    this.sub.close();
  }
}
