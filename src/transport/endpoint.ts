// One protocol endpoint on the seam (docs/architecture.md#the-websocket-seam): what the protocol
// supplies (EndpointSpec), the limits every endpoint enforces (frame size, rate), and the one
// error path: whatever a protocol handler throws or rejects, here alone it becomes one log line and
// close code 1011 for that connection (docs/common.md#handler-bugs).
import type { Server } from "bun";
import { Close } from "./close-codes.ts";
import { WsConn, type RawSocket } from "./conn.ts";
import type { ProtocolCounters } from "./metrics.ts";
import { RatePolicy } from "./rate.ts";
import type { Transport } from "./transport.ts";
import type { Conn } from "./types.ts";

/**
 * What a protocol supplies for one endpoint. S: its per-connection state, made by open() and kept
 * on the connection (conn.state). I: what its route hands over from the upgrade request.
 */
export interface EndpointSpec<S, I = S> {
  /** Metrics/health label, e.g. "clicker". */
  protocol: string;
  /** Overrides the server-wide frame limit for this endpoint. */
  maxFrameBytes?: number;
  /** false: the protocol limits its own units of work (the Socket.IO layer counts packets). */
  rateLimit?: boolean;
  /** false: the protocol counts its connections itself (Socket.IO counts sessions, on either transport). */
  countConnections?: boolean;
  /** The connection is open: make its state (and send what the protocol sends on open). Without it, the state is `init`. */
  open?(conn: Conn<S>, init: I): S;
  /** One frame, raw. A returned promise is watched like conn.watch(). */
  message(conn: Conn<S>, data: string | Uint8Array): void | Promise<void>;
  close?(conn: Conn<S>, code: number, reason: string): void | Promise<void>;
  /** Units of work in this frame (default 1): e.g. each call of a JSON-RPC batch. */
  cost?(data: string | Uint8Array): number;
  /** The protocol's own error reply when a connection's rate queue is full (null: none). */
  rateLimited?(conn: Conn<S>): string | null;
  /** A control frame (a ping) from the client, for a protocol that limits its own units (rateLimit: false). */
  control?(conn: Conn<S>): void;
}

const byteSize = (data: string | Uint8Array, limit: number) =>
  typeof data === "string" ? (data.length * 3 <= limit ? data.length : Buffer.byteLength(data)) : data.byteLength;

export class Endpoint<S, I = S> {
  readonly counters: ProtocolCounters;
  readonly maxFrameBytes: number;
  /** The per-connection rate limit shared by the endpoint's connections; null: none. */
  readonly rate: RatePolicy | null;

  constructor(readonly transport: Transport, readonly spec: EndpointSpec<S, I>) {
    this.counters = transport.metrics.protocol(spec.protocol);
    this.maxFrameBytes = spec.maxFrameBytes ?? transport.limits.maxFrameBytes;
    const l = transport.limits;
    this.rate = spec.rateLimit === false ? null : new RatePolicy({ rate: l.rateLimit, burst: l.rateBurst, queueMessages: l.rateQueue, queueBytes: l.rateQueueBytes });
  }

  /** Upgrade the request; false if it is not a WebSocket handshake. */
  upgrade(request: Request, server: Server<any>, init: I, headers?: Record<string, string>, ip = this.transport.clientIP(request)): boolean {
    const conn = new WsConn<S>(this, init, this.transport.grantsOperator(request));
    conn.ip = ip;
    return this.transport.onServerOf(request, server, (s) => {
      conn.srv = s;
      return (s as Server<WsConn<S>>).upgrade(request, { data: conn, headers });
    });
  }

  /** A route handler's answer: the upgrade (undefined), or 426 for a plain HTTP request. */
  accept(request: Request, server: Server<any> | null, init: I): Response | undefined {
    if (!server || request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket", { status: 426 });
    const ip = this.transport.clientIP(request);
    const refused = this.transport.admit(ip);
    if (refused) {
      this.counters.errors++;
      return refused;
    }
    return this.upgrade(request, server, init, undefined, ip) ? undefined : new Response("expected a WebSocket", { status: 426 });
  }

  /** A bug in protocol code: count it, log it once, close that connection with 1011. */
  fault(conn: WsConn<S>, err: unknown): void {
    this.transport.reportFault(this.spec.protocol, err, { conn: conn.id });
    conn.close(Close.internal, "internal error");
  }

  /** Run protocol code on the one error path: a throw or a rejection is a fault. */
  private run(conn: WsConn<S>, fn: () => unknown): void {
    try {
      const r = fn();
      if (r instanceof Promise) conn.watch(r);
    } catch (err) {
      this.fault(conn, err);
    }
  }

  /** One frame to the protocol, on the same error path (no closure per frame: this runs for every one). */
  private deliver(conn: WsConn<S>, data: string | Uint8Array): void {
    try {
      const r = this.spec.message(conn, data);
      if (r instanceof Promise) conn.watch(r);
    } catch (err) {
      this.fault(conn, err);
    }
  }

  // ---- the socket's life, from handler.ts ----

  opened(conn: WsConn<S>, ws: RawSocket): void {
    conn.ws = ws;
    this.transport.attach(conn);
    if (this.spec.countConnections !== false) this.counters.connections++;
    this.rate?.fill(conn, conn.heardAt);
    try {
      const init = conn.state as unknown as I;
      conn.state = this.spec.open ? this.spec.open(conn, init) : (init as unknown as S);
    } catch (err) {
      this.fault(conn, err);
    }
  }

  received(conn: WsConn<S>, data: string | Uint8Array): void {
    const now = this.transport.heard(conn);
    this.counters.framesIn++;
    const size = byteSize(data, this.maxFrameBytes);
    if (size > this.maxFrameBytes) {
      this.counters.errors++;
      conn.close(Close.tooBig, `frame larger than ${this.maxFrameBytes} bytes`);
      return;
    }
    const rate = this.rate;
    if (rate === null) return this.deliver(conn, data);
    const cost = this.spec.cost?.(data) ?? 1;
    if (rate.admit(conn, now, cost)) return this.deliver(conn, data);
    this.hold(conn, data, cost, size);
  }

  /** A control frame (ping, pong): a unit of work too, answered by Bun itself. */
  control(conn: WsConn<S>): void {
    const now = this.transport.heard(conn);
    if (this.rate) {
      if (!this.rate.admit(conn, now, 1)) this.hold(conn, null, 1, 0);
    } else if (this.spec.control) this.run(conn, () => this.spec.control!(conn));
  }

  ended(conn: WsConn<S>, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.drainTimer?.();
    conn.drainTimer = null;
    conn.waiting = null;
    this.transport.detach(conn);
    if (this.spec.countConnections !== false) this.counters.connections--;
    try {
      const r = this.spec.close?.(conn, code, reason);
      if (r instanceof Promise) r.catch((err: unknown) => this.fault(conn, err));
    } catch (err) {
      this.fault(conn, err);
    }
  }

  // ---- the rate queue ----

  /** Over the rate: wait in the connection's queue; a full queue is refused and closed (1008). */
  private hold(conn: WsConn<S>, data: string | Uint8Array | null, cost: number, bytes: number): void {
    if (conn.closed) return;
    if (!this.rate!.enqueue(conn, { data, cost, bytes })) {
      this.counters.errors++;
      const reply = this.spec.rateLimited?.(conn);
      if (reply != null) conn.send(reply);
      conn.close(Close.policy, "rate limit exceeded: too many messages waiting");
      return;
    }
    if (conn.drainTimer === null) this.scheduleDrain(conn);
  }

  private scheduleDrain(conn: WsConn<S>): void {
    conn.drainTimer = this.transport.clock.setTimer(this.rate!.waitMs(conn), () => {
      conn.drainTimer = null;
      this.drain(conn);
    });
  }

  /** Hand the protocol every queued message whose turn has come, in order. */
  private drain(conn: WsConn<S>): void {
    const rate = this.rate!;
    const clock = this.transport.clock;
    // One write for the replies of the whole run, as when they came in one loop turn.
    conn.cork(() => {
      for (let w = rate.next(conn, clock.mono()); w !== null && !conn.closed; w = rate.next(conn, clock.mono())) {
        const data = w.data;
        if (data !== null) this.deliver(conn, data);
      }
    });
    if (!conn.closed && conn.waiting !== null) this.scheduleDrain(conn);
  }
}
