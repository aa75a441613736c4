// The seam's server-wide part (docs/architecture.md#the-websocket-seam): the listeners, the live
// connections, keepalive on the injected clock, topic fan-out with its metrics, and shutdown.
import type { Server } from "bun";
import { readFileSync } from "node:fs";
import { ClientAddresses } from "../access/client-ip.ts";
import type { Logger } from "../log.ts";
import type { ClusterBus } from "../cluster/bus.ts";
import { Close } from "./close-codes.ts";
import type { WsConn } from "./conn.ts";
import { Endpoint, type EndpointSpec } from "./endpoint.ts";
import { KeepAlive } from "./keepalive.ts";
import type { Metrics } from "./metrics.ts";
import type { Clock, Topics } from "./types.ts";

export interface TransportLimits {
  maxFrameBytes: number;
  /** WebSocket connections in total (0: the open-file limit less FD_RESERVE) and per client address (0: none). */
  maxConns: number;
  maxConnsPerIp: number;
  trustedProxies: string[];
  rateLimit: number;
  rateBurst: number;
  rateQueue: number;
  rateQueueBytes: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
}

/** File descriptors kept for everything that is not a WebSocket: HTTP (/healthz), the database, devices, logs. */
export const FD_RESERVE = 256;

/** The process's open-file limits, from /proc/self/limits (null where there is none). */
export function openFileLimits(read: () => string = () => readFileSync("/proc/self/limits", "utf8")): { soft: number; hard: number } | null {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(read());
    if (!m) return null;
    const n = (v: string) => (v === "unlimited" ? Infinity : Number(v));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return null;
  }
}

export class Transport {
  readonly live = new Set<WsConn<any>>();
  /** Live connections per client address (docs/common.md#caps). */
  private readonly perIp = new Map<string, number>();
  private readonly addresses: ClientAddresses;
  /** The limit on WebSocket connections in total, as configured or derived from the open-file limit. */
  readonly maxConns: number;
  readonly fileLimits: { soft: number; hard: number } | null;
  /**
   * The listeners, newest first. Usually one; after a TLS certificate reload the previous one
   * stays (without its listening socket) until its last socket and request are gone, and
   * fan-out reaches the subscribers of each.
   */
  servers: Server<any>[] = [];
  /** Whether an upgrade request carries operator rights (docs/access.md#operator-rights); set by the server. */
  grantsOperator: (request: Request) => boolean = () => false;
  private readonly keepalive: KeepAlive<WsConn<any>>;
  /** Several nodes: fan-out through Redis too (docs/cluster.md#fan-out); null on a node of its own. */
  bus: ClusterBus | null = null;

  constructor(readonly limits: TransportLimits, readonly metrics: Metrics, readonly log: Logger, readonly clock: Clock, fileLimits = openFileLimits()) {
    this.addresses = new ClientAddresses(limits.trustedProxies);
    this.fileLimits = fileLimits;
    // Bun raises the soft limit to the hard one when it starts; what is left is what we may use.
    const byFiles = fileLimits && Number.isFinite(fileLimits.soft) ? Math.max(64, fileLimits.soft - FD_RESERVE) : Infinity;
    this.maxConns = limits.maxConns > 0 ? Math.min(limits.maxConns, byFiles) : byFiles;
    if (fileLimits && fileLimits.soft < fileLimits.hard) log.warn("open-file limit below its maximum", fileLimits);
    this.keepalive = new KeepAlive(clock, limits.pingIntervalMs, limits.idleTimeoutMs, {
      ping: (c) => c.ws?.ping(),
      expire: (c) => {
        log.debug("idle timeout", { protocol: c.endpoint.spec.protocol, conn: c.id });
        c.ws?.terminate();
      },
    });
  }

  get server(): Server<any> | null {
    return this.servers[0] ?? null;
  }

  endpoint<S, I = S>(spec: EndpointSpec<S, I>): Endpoint<S, I> {
    return new Endpoint(this, spec);
  }

  /**
   * The one report of a bug in protocol code (docs/common.md#handler-bugs): counted in the
   * protocol's errors and logged once. Endpoint.fault adds the 1011; the Socket.IO layer drops
   * the one polling session.
   */
  reportFault(protocol: string, err: unknown, fields: Record<string, unknown>): void {
    this.metrics.protocol(protocol).errors++;
    this.log.error("handler error", { protocol, ...fields, err: err as Error });
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
        this.bus?.publish(topic, data);
      },
    };
  }

  /** A frame another node published: to this node's subscribers of the topic. */
  deliverLocal(topic: string, data: string): void {
    for (const s of this.servers) s.publish(topic, data);
  }

  subscribers(topic: string): number {
    let n = 0;
    for (const s of this.servers) n += s.subscriberCount(topic);
    return n;
  }

  // ---- connections (from Endpoint) ----

  /**
   * May a new WebSocket from this client address be accepted? The refusal (429 over the per-address
   * cap, 503 over the total) tells why and when to retry; null admits it (docs/common.md#caps).
   */
  admit(ip: string): Response | null {
    const refuse = (status: number, why: string) => {
      this.log.debug("connection refused", { ip, why });
      return new Response(why + "\n", { status, headers: { "retry-after": "5", "content-type": "text/plain; charset=utf-8" } });
    };
    if (this.live.size >= this.maxConns) return refuse(503, `the server has ${this.live.size} connections, its limit`);
    const max = this.limits.maxConnsPerIp;
    if (max > 0 && (this.perIp.get(ip) ?? 0) >= max) return refuse(429, `too many connections from ${ip} (at most ${max})`);
    return null;
  }

  attach(c: WsConn<any>): void {
    this.live.add(c);
    this.perIp.set(c.ip, (this.perIp.get(c.ip) ?? 0) + 1);
    this.keepalive.add(c);
  }

  detach(c: WsConn<any>): void {
    this.live.delete(c);
    if (c.topics && this.bus) for (const t of c.topics) this.bus.release(t);
    c.topics = null;
    const n = (this.perIp.get(c.ip) ?? 1) - 1;
    if (n > 0) this.perIp.set(c.ip, n);
    else this.perIp.delete(c.ip);
    this.keepalive.remove(c);
    if (this.servers.length > 1) this.retireIdleListeners();
  }

  /** A frame of any kind came from c: it is alive. Returns the time (Clock.mono). */
  heard(c: WsConn<any>): number {
    return (c.heardAt = this.clock.mono());
  }

  // ---- listeners ----

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

  /** The TCP peer of a request, from whichever listener received it. */
  private peerOf(request: Request): string {
    for (const s of this.servers) {
      const a = s.requestIP(request);
      if (a) return a.address;
    }
    return "";
  }

  /** The client's address: the TCP peer, or behind a trusted proxy the client it forwarded for. */
  clientIP(request: Request): string {
    return this.addresses.of(this.peerOf(request), request.headers.get("x-forwarded-for"));
  }

  /** The same, in the shape of Bun's server.requestIP (what the Socket.IO layer asks). */
  requestIP(request: Request): { address: string } | null {
    const address = this.clientIP(request);
    return address ? { address } : null;
  }

  start(server: Server<any>): void {
    this.servers = [server];
  }

  /** A new listener (a TLS reload): it takes the new connections from now on. */
  adopt(server: Server<any>): void {
    this.servers.unshift(server);
    this.retireIdleListeners();
  }

  /** A listener replaced by a TLS reload is let go once nothing of it is left. */
  retireIdleListeners(): void {
    if (this.servers.length > 1) this.servers = this.servers.filter((s, i) => i === 0 || s.pendingWebSockets > 0 || s.pendingRequests > 0);
  }

  /** Close every socket with 1001 (graceful shutdown). */
  closeAll(reason = "server shutting down"): void {
    this.keepalive.stop();
    for (const c of [...this.live]) c.ws?.close(Close.goingAway, reason);
  }
}
