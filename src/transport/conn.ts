// WsConn: the Conn that protocol code sees, over one Bun ServerWebSocket
// (docs/architecture.md#the-websocket-seam). It also carries the seam's per-connection fields
// inline (the keepalive deadline, the rate bucket and queue): one object per connection.
// Bun's socket callbacks reach it through handler.ts; limits and the error path are Endpoint's.
import type { Server, ServerWebSocket } from "bun";
import type { Endpoint } from "./endpoint.ts";
import type { KeepAliveNode } from "./keepalive.ts";
import type { Metered, Waiting } from "./rate.ts";
import type { Conn } from "./types.ts";

export type RawSocket = ServerWebSocket<WsConn<any>>;
let nextId = 1;

export class WsConn<S = unknown> implements Conn<S>, KeepAliveNode, Metered {
  readonly id = nextId++;
  ws: RawSocket | null = null;
  /** The listener this socket belongs to (after a TLS reload the old one serves its sockets on). */
  srv: Server<any> | null = null;
  closed = false;
  /** The client's address (docs/access.md#behind-a-reverse-proxy), set at the upgrade. */
  ip = "";
  /** Before open: what the route passed to accept(); from open on, what the protocol's open() returned. */
  state: S;
  // KeepAliveNode
  heardAt = 0;
  pingedAt = 0;
  kaDue = 0;
  kaIndex = -1;
  // Metered
  tokens = 0;
  refilledAt = 0;
  waiting: Waiting[] | null = null;
  waitingBytes = 0;
  /** Cancels the timer that hands queued messages to the protocol. */
  drainTimer: (() => void) | null = null;
  /** Several nodes: the topics it is subscribed to, so a close releases each (docs/cluster.md#fan-out). */
  topics: Set<string> | null = null;
  /** This connection's own topic, subscribed on its first post() (null until then). */
  private own: string | null = null;

  constructor(readonly endpoint: Endpoint<S, any>, init: unknown, readonly operator: boolean) {
    this.state = init as S;
  }

  send(data: string | Uint8Array): void {
    if (this.closed || !this.ws) return;
    this.ws.send(data);
    this.endpoint.counters.framesOut++;
  }

  /**
   * Through the connection's own topic: Bun writes each subscriber's topic frames of a loop turn
   * together, in order with direct sends. Only the socket whose handler runs is corked, so a
   * direct send to any other socket would be one write syscall per frame.
   */
  post(data: string): void {
    if (this.closed || !this.ws || !this.srv) return this.send(data);
    if (this.own === null) this.ws.subscribe((this.own = `conn:${this.id}`));
    this.srv.publish(this.own, data);
    this.endpoint.counters.framesOut++;
  }

  subscribe(topic: string): void {
    if (this.closed || !this.ws) return;
    this.ws.subscribe(topic);
    const bus = this.endpoint.transport.bus;
    if (bus && !(this.topics ??= new Set()).has(topic)) {
      this.topics.add(topic);
      bus.retain(topic);
    }
  }

  unsubscribe(topic: string): void {
    if (this.closed || !this.ws) return;
    this.ws.unsubscribe(topic);
    if (this.topics?.delete(topic)) this.endpoint.transport.bus?.release(topic);
  }

  publishOthers(topic: string, data: string): void {
    if (this.closed || !this.ws) return;
    const t = this.endpoint.transport;
    const n = t.subscribers(topic) - (this.ws.isSubscribed(topic) ? 1 : 0);
    this.ws.publish(topic, data);
    // Subscribers on a listener that a TLS reload replaced are reached through that one.
    if (t.servers.length > 1) for (const s of t.servers) if (s !== this.srv) s.publish(topic, data);
    t.bus?.publish(topic, data);
    this.endpoint.counters.framesOut += Math.max(0, n);
  }

  cork(fn: () => void): void {
    if (this.closed || !this.ws) fn();
    else this.ws.cork(fn);
  }

  close(code: number, reason = ""): void {
    if (!this.closed) this.ws?.close(code, reason);
  }

  watch(work: Promise<unknown>): void {
    work.catch((err: unknown) => this.endpoint.fault(this, err));
  }

  get remoteAddress(): string {
    return this.ws?.remoteAddress ?? "";
  }
}
