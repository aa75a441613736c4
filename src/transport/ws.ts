// The raw WebSocket seam (DESIGN.md "The WebSocket seam").
//
// Elysia's own .ws() parses text frames before any hook sees them ("007" → 7), so protocol
// endpoints are plain Elysia routes that call server.upgrade() with a WsConn as ws.data.
// Elysia's Bun adapter dispatches every socket event to ws.data.open/message/close/…,
// so frames arrive here byte for byte. WsConn is the per-connection state and implements
// the Conn interface the pure protocol modules use.
import type { Server, ServerWebSocket } from "bun";
import type { Logger } from "../log.ts";
import { Close } from "./close-codes.ts";
import type { Metrics, ProtocolCounters } from "./metrics.ts";
import { RatePolicy, type Bucket } from "./rate.ts";
import type { Conn, Topics } from "./types.ts";

export interface TransportLimits {
  maxFrameBytes: number;
  rateLimit: number;
  rateBurst: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
}

/** What a protocol plugin supplies for one endpoint. S is its per-connection state. */
export interface EndpointSpec<S> {
  /** Metrics/health label, e.g. "clicker". */
  protocol: string;
  /** Overrides the server-wide frame limit for this endpoint. */
  maxFrameBytes?: number;
  /** false: the protocol does its own rate limiting (e.g. per Socket.IO packet). */
  rateLimit?: boolean;
  open?(conn: WsConn<S>): void | Promise<void>;
  message(conn: WsConn<S>, data: string | Uint8Array): void | Promise<void>;
  close?(conn: WsConn<S>, code: number, reason: string): void | Promise<void>;
  /** The protocol's own error reply for a frame refused by the rate limit (null: none). */
  rateLimited?(conn: WsConn<S>): string | null;
}

type Raw = ServerWebSocket<WsConn<any>>;
let nextId = 1;

export class WsConn<S = unknown> implements Conn, Bucket {
  readonly id = nextId++;
  ws: Raw | null = null;
  /** The Bun server (listener) this socket belongs to: after a TLS reload the old one serves its sockets on. */
  srv: Server<any> | null = null;
  closed = false;
  lastSeen: number;
  lastPing: number;
  // The rate-limit bucket, inline: a limiter object per connection cost ~100 bytes (docs/bench.md M1).
  tokens = 0;
  last = 0;
  strikes = 0;
  lastStrike = -Infinity;

  constructor(readonly endpoint: Endpoint<S>, public state: S, readonly operator = false) {
    this.lastSeen = this.lastPing = performance.now();
    endpoint.rate?.fill(this, this.lastSeen);
  }

  /**
   * This connection's own topic, subscribed on the first frame another connection's handler sends
   * it (null until then: a connection nobody relays to pays nothing for it).
   */
  private own: string | null = null;

  // ---- Conn ----
  /**
   * A frame for this connection. From its own open/message handler, a timer or a commit it is
   * written directly (Bun corks the socket while its own handler runs; cork() batches the rest).
   * From another connection's handler (a relay, a fan-out of per-member frames) a direct send
   * would be one write syscall per frame, since only the handler's own socket is corked; such a
   * frame goes to the connection's own topic instead, where Bun queues it and writes each
   * subscriber's frames of the loop turn together, in order with direct sends and other topics.
   * Timers (pings) stay direct: one frame per connection gains nothing from the queue, and a
   * connection subscribed to a topic of its own costs ~600 bytes more (5000 idle sockets, RSS).
   */
  send(data: string | Uint8Array): void {
    if (this.closed || !this.ws) return;
    const t = this.endpoint.transport;
    const from = t.current;
    if (from === null || from === this || !this.srv) this.ws.send(data);
    else {
      if (this.own === null) this.ws.subscribe((this.own = `conn:${this.id}`));
      this.srv.publish(this.own, data);
    }
    this.endpoint.counters.framesOut++;
  }
  subscribe(topic: string): void {
    if (!this.closed) this.ws?.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    if (!this.closed) this.ws?.unsubscribe(topic);
  }
  publishOthers(topic: string, data: string): void {
    if (this.closed || !this.ws) return;
    const t = this.endpoint.transport;
    const n = t.subscribers(topic) - (this.ws.isSubscribed(topic) ? 1 : 0);
    this.ws.publish(topic, data);
    if (t.servers.length > 1) for (const s of t.servers) if (s !== this.srv) s.publish(topic, data);
    this.endpoint.counters.framesOut += Math.max(0, n);
  }
  cork(fn: () => void): void {
    if (this.closed || !this.ws) fn();
    else this.ws.cork(fn);
  }
  get remoteAddress(): string {
    return this.ws?.remoteAddress ?? "";
  }

  // ---- Bun socket events, dispatched by Elysia's adapter through ws.data ----
  open(ws: Raw): void {
    this.ws = ws;
    const ep = this.endpoint;
    ep.transport.live.add(this);
    ep.counters.connections++;
    const t = ep.transport;
    const outer = t.current;
    t.current = this;
    ep.guard(this, () => ep.spec.open?.(this));
    t.current = outer;
  }
  message(ws: Raw, data: string | Uint8Array): void {
    const t = this.endpoint.transport;
    const outer = t.current;
    t.current = this;
    try {
      this.receive(ws, data);
    } finally {
      t.current = outer;
    }
  }
  private receive(ws: Raw, data: string | Uint8Array): void {
    this.ws = ws;
    const ep = this.endpoint;
    const now = performance.now();
    this.lastSeen = now;
    ep.counters.framesIn++;
    const limit = ep.maxFrameBytes;
    const size = typeof data === "string" ? (data.length * 3 <= limit ? 0 : Buffer.byteLength(data)) : data.byteLength;
    if (size > limit) {
      ep.counters.errors++;
      ws.close(Close.tooBig, `frame larger than ${limit} bytes`);
      return;
    }
    const verdict = ep.rate === null ? "ok" : ep.rate.check(this, now);
    if (verdict !== "ok") {
      ep.counters.errors++;
      // "Over the limit: the error reply, then 1008 if it continues" (PROTOCOLS.md common rules).
      if (verdict === "close") {
        ws.close(Close.policy, "rate limit exceeded");
        return;
      }
      const reply = ep.spec.rateLimited?.(this);
      if (reply != null) this.send(reply);
      return;
    }
    ep.guard(this, () => ep.spec.message(this, data));
  }
  /**
   * Two callers share this name: protocol code calls close(code, reason) (the Conn interface),
   * and Elysia's adapter calls close(ws, code, reason) when the socket has closed.
   */
  close(a: number | Raw, b?: number | string, c?: string): void {
    if (typeof a === "number") {
      if (!this.closed) this.ws?.close(a, typeof b === "string" ? b : "");
      return;
    }
    if (this.closed) return;
    this.closed = true;
    const ep = this.endpoint;
    ep.transport.live.delete(this);
    ep.counters.connections--;
    ep.guard(this, () => ep.spec.close?.(this, typeof b === "number" ? b : 1005, c ?? ""), false);
  }
  drain(_ws: Raw): void {}
  ping(_ws: Raw): void {
    this.lastSeen = performance.now();
  }
  pong(_ws: Raw): void {
    this.lastSeen = performance.now();
  }
}

export class Endpoint<S> {
  readonly counters: ProtocolCounters;
  readonly maxFrameBytes: number;
  /** The per-connection message limit, shared by the endpoint's connections; null: none. */
  readonly rate: RatePolicy | null;
  constructor(readonly transport: Transport, readonly spec: EndpointSpec<S>) {
    this.counters = transport.metrics.protocol(spec.protocol);
    this.maxFrameBytes = spec.maxFrameBytes ?? transport.limits.maxFrameBytes;
    this.rate = spec.rateLimit === false ? null : new RatePolicy(transport.limits.rateLimit, transport.limits.rateBurst);
  }

  /** Upgrade the request; returns false if it is not a WebSocket handshake. */
  upgrade(request: Request, server: Server<any>, state: S, headers?: Record<string, string>): boolean {
    const conn = new WsConn<S>(this, state, this.transport.grantsOperator(request));
    return this.transport.onServerOf(request, server, (s) => {
      conn.srv = s;
      return (s as Server<WsConn<S>>).upgrade(request, { data: conn, headers });
    });
  }

  /** An Elysia route handler's answer: the upgrade (undefined), or 426 for a plain HTTP request. */
  accept(request: Request, server: Server<any> | null, state: S): Response | undefined {
    return server && this.upgrade(request, server, state) ? undefined : new Response("expected a WebSocket", { status: 426 });
  }

  /** Run protocol code; an uncaught error is a bug: log it and close with 1011. */
  guard(conn: WsConn<S>, fn: () => unknown, closeOnError = true): void {
    const fail = (err: unknown) => {
      this.counters.errors++;
      this.transport.log.error("handler error", { protocol: this.spec.protocol, conn: conn.id, err: err as Error });
      if (closeOnError) conn.close(Close.internal, "internal error");
    };
    try {
      const r = fn();
      // An async handler's rejection is a thrown handler error too; unhandled, it would end the process.
      if (r instanceof Promise) r.catch(fail);
    } catch (err) {
      fail(err);
    }
  }
}

/** One per server: limits, metrics, the live socket set, keepalive, and topic fan-out. */
export class Transport {
  readonly live = new Set<WsConn<any>>();
  /**
   * The listeners, newest first. Usually one; after a TLS certificate reload the previous one
   * stays (without its listening socket) until its last socket and request are gone, and
   * fan-out reaches the subscribers of each.
   */
  servers: Server<any>[] = [];
  get server(): Server<any> | null {
    return this.servers[0] ?? null;
  }
  /** The connection whose open/message handler is running now (its socket is corked), else null. */
  current: WsConn<any> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  /** Whether an upgrade request carries operator rights (docs/access.md#operator-rights); set by the server. */
  grantsOperator: (request: Request) => boolean = () => false;

  constructor(readonly limits: TransportLimits, readonly metrics: Metrics, readonly log: Logger) {}

  endpoint<S>(spec: EndpointSpec<S>): Endpoint<S> {
    this.metrics.protocol(spec.protocol);
    return new Endpoint(this, spec);
  }

  /** Topics for one protocol: counts each delivery as a message out. */
  topics(protocol: string): Topics {
    const counters = this.metrics.protocol(protocol);
    return {
      publish: (topic, data) => {
        for (const s of this.servers) {
          counters.framesOut += s.subscriberCount(topic);
          s.publish(topic, data);
        }
      },
    };
  }
  subscribers(topic: string): number {
    let n = 0;
    for (const s of this.servers) n += s.subscriberCount(topic);
    return n;
  }

  /**
   * Run fn with the server that received `request`. Route handlers are given the newest server,
   * but a request that came in on an older listener's keep-alive connection belongs to that one
   * (Bun's upgrade() and timeout() refuse a request of another server).
   */
  onServerOf<T>(request: Request, given: Server<any>, fn: (s: Server<any>) => T): T {
    if (this.servers.length <= 1) return fn(given);
    let last: unknown;
    for (const s of [given, ...this.servers.filter((x) => x !== given)]) {
      try {
        return fn(s);
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_INVALID_ARG_TYPE") throw err;
        last = err;
      }
    }
    throw last;
  }

  /** The client address of a request, from whichever listener received it. */
  requestIP(request: Request): { address: string } | null {
    for (const s of this.servers) {
      const a = s.requestIP(request);
      if (a) return a;
    }
    return null;
  }

  /** A new listener (start, or a TLS reload): it takes the new connections from now on. */
  adopt(server: Server<any>): void {
    this.servers.unshift(server);
  }

  /** Start server pings and the idle sweep (docs/common.md#keepalive). */
  start(server: Server<any>): void {
    this.servers = [server];
    const { pingIntervalMs, idleTimeoutMs } = this.limits;
    const tick = Math.max(50, Math.min(pingIntervalMs, idleTimeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), tick);
    this.sweepTimer.unref?.();
  }

  private sweep(): void {
    const now = performance.now();
    // A listener replaced by a TLS reload is let go once nothing of it is left.
    if (this.servers.length > 1) this.servers = this.servers.filter((s, i) => i === 0 || s.pendingWebSockets > 0 || s.pendingRequests > 0);
    const { pingIntervalMs, idleTimeoutMs } = this.limits;
    for (const c of this.live) {
      if (now - c.lastSeen >= idleTimeoutMs) {
        this.log.debug("idle timeout", { protocol: c.endpoint.spec.protocol, conn: c.id });
        c.ws?.terminate();
      } else if (now - c.lastPing >= pingIntervalMs) {
        c.lastPing = now;
        c.ws?.ping();
      }
    }
  }

  /** Close every socket with 1001 (graceful shutdown). */
  closeAll(reason = "server shutting down"): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const c of [...this.live]) c.ws?.close(Close.goingAway, reason);
  }
}
