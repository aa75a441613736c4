// The Engine.IO v4 server: the session table, request verification (the reference server's
// error catalog), the HTTP long-polling requests and the WebSocket side of each session.
// Works on web-standard Request/Response and the WsLink interface; the plugin does the wiring.
import { Close } from "../../transport/close-codes.ts";
import type { RateLimits } from "../../transport/rate.ts";
import type { Clock } from "../../transport/types.ts";
import type { Logger } from "../../log.ts";
import { EngineClose, EngineError, type EngineErrorValue } from "./codec.ts";
import { Cors } from "./cors.ts";
import { PacketGate } from "./gate.ts";
import { PingSchedule } from "./heartbeat.ts";
import { EngineSession, type EngineClient, type EngineOptions, type PacketCounters, type WsLink } from "./session.ts";

export interface EngineServerOptions extends EngineOptions {
  corsOrigin: string[];
  /** The rate limit of every packet a client sends (docs/socketio.md#rate-limit); absent: none. */
  rate?: RateLimits | null;
  /** Sessions, whatever their transport, from one client address; past it a handshake gets 429. Absent or 0: none. */
  maxSessionsPerIp?: number;
}

/** What an upgrade request asks for, once verified (a new session carries its client's address and library). */
export type WsTarget = { kind: "new"; ip?: string; client?: EngineClient } | { kind: "probe"; sid: string };

/**
 * Where a request comes from: Bun's Server has this method (requestIP). Only a handshake asks,
 * since a request for an existing session belongs to the address that opened it.
 */
export interface PeerAddresses {
  requestIP(request: Request): { address: string } | null;
}
const addressOf = (peers: PeerAddresses | null | undefined, request: Request): string => peers?.requestIP(request)?.address ?? "";

/**
 * python-engineio (under python-socketio) stamps every request, the handshake included and on
 * either transport, with `t=<time.time()>`: seconds with a fraction. engine.io-client's `t` is a
 * short base-36 string, and absent on a WebSocket. Told apart because python-socketio passes an
 * event's every argument to its handler, so it must never get recovery offsets
 * (docs/socketio.md#connection-state-recovery).
 */
export function engineClientOf(q: URLSearchParams): EngineClient {
  return /^\d+\.\d+$/.test(q.get("t") ?? "") ? "python-engineio" : "unknown";
}

const TEXT = { "content-type": "text/plain; charset=UTF-8" };

/**
 * A request body as text, or null as soon as it exceeds `max` bytes (the rest is not read: the
 * stream is cancelled, so an endless chunked body costs at most `max` bytes of memory).
 */
export async function readBounded(request: Request, max: number): Promise<string | null> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/** 20 url-safe random characters, like the reference's session ids. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return Buffer.from(bytes).toString("base64url");
}

export class EngineServer {
  readonly sessions = new Map<string, EngineSession>();
  readonly cors: Cors;
  /** Every session's next ping, on one timer. */
  private readonly pings: PingSchedule;
  /** The rate limit shared by every session (null: none). */
  private readonly gate: PacketGate | null;
  /** Live sessions per client address (docs/socketio.md#caps). */
  private readonly perIp = new Map<string, number>();
  /** Called for every new session, before its first packet is read. */
  onSession: (s: EngineSession) => void = () => {};
  /** Sessions opened/closed: /healthz counts sessions, whatever their transport. */
  onCount: (delta: 1 | -1) => void = () => {};
  /**
   * A handler threw while a polling request's packets were handled: a bug. Mounted on the server,
   * the seam's one fault report (transport.reportFault); on its own, counted and logged here.
   */
  onFault: (err: unknown, sid: string) => void = (err, sid) => {
    this.counters.errors++;
    this.log.error("handler error", { protocol: "socketio", sid, err: err as Error });
  };

  constructor(
    private readonly clock: Clock,
    readonly opts: EngineServerOptions,
    private readonly counters: PacketCounters & { errors: number },
    private readonly log: Logger,
  ) {
    this.cors = new Cors(opts.corsOrigin);
    this.pings = new PingSchedule(clock, opts.pingIntervalMs);
    this.gate = opts.rate ? new PacketGate(clock, opts.rate, (s, err) => this.fault(s as EngineSession, err), counters) : null;
  }

  private create(ws: WsLink | null, ip: string, client: EngineClient): EngineSession {
    const s = new EngineSession(randomId(), this.clock, this.opts, this.counters, ws, this.ended, this.pings, ip, client, this.gate);
    this.sessions.set(s.sid, s);
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.onCount(1);
    this.onSession(s);
    s.start();
    return s;
  }

  private readonly ended = (s: EngineSession, reason: string): void => {
    this.sessions.delete(s.sid);
    const n = (this.perIp.get(s.ip) ?? 1) - 1;
    if (n > 0) this.perIp.set(s.ip, n);
    else this.perIp.delete(s.ip);
    this.onCount(-1);
    this.log.debug("engine.io session closed", { sid: s.sid, reason });
  };

  private error(e: EngineErrorValue, origin: string | null): Response {
    this.counters.errors++;
    return Response.json(e, { status: 400, headers: this.cors.headers(origin) });
  }

  /**
   * A handshake from an address that has its whole share of sessions: 429 with Engine.IO's
   * "Forbidden" error, the reason in its context (as the reference's allowRequest refusals carry
   * it), and when to try again. null: admitted.
   */
  private overCap(ip: string, origin: string | null): Response | null {
    const max = this.opts.maxSessionsPerIp ?? 0;
    if (max <= 0 || (this.perIp.get(ip) ?? 0) < max) return null;
    this.counters.errors++;
    this.log.debug("engine.io handshake refused", { ip, max });
    const body = { ...EngineError.forbidden, context: { message: `too many sessions from ${ip} (at most ${max})` } };
    return Response.json(body, { status: 429, headers: { ...this.cors.headers(origin), "retry-after": "5" } });
  }

  /** A handler bug while a session's packets were handled: reported once, and only that session ends (1011 on a WebSocket). */
  fault(s: EngineSession, err: unknown): void {
    this.onFault(err, s.sid);
    s.terminate(EngineClose.internal, Close.internal);
  }

  /** engine.io "verify": transport, sid, handshake method and protocol version. */
  private verify(q: URLSearchParams, method: string, upgrade: boolean): EngineErrorValue | EngineSession | null {
    const transport = q.get("transport");
    if (transport !== "polling" && transport !== "websocket") return EngineError.unknownTransport;
    const sid = q.get("sid");
    if (sid !== null) {
      const s = this.sessions.get(sid);
      if (!s || s.expireIfOverdue()) return EngineError.unknownSid;
      // A polling request must match the session's transport. A WebSocket with a known sid is
      // accepted even when the session already upgraded or is upgrading, and wsOpened closes
      // it: the reference does so, and clients (the protocol test suite's "ws") wait for a
      // close there, not for a refused handshake.
      if (!upgrade && s.transport !== transport) return EngineError.badRequest;
      return s;
    }
    if (method !== "GET") return EngineError.badHandshakeMethod;
    if (q.get("EIO") !== "4") return EngineError.unsupportedProtocol;
    if ((transport === "websocket") !== upgrade) return EngineError.badRequest;
    return null;
  }

  /** Checks an upgrade request before it is accepted; a Response refuses it. */
  verifyUpgrade(request: Request, q: URLSearchParams, peers?: PeerAddresses | null): WsTarget | Response {
    const origin = request.headers.get("origin");
    const v = this.verify(q, request.method, true);
    if (v instanceof EngineSession) return { kind: "probe", sid: v.sid };
    if (v) return this.error(v, origin);
    const ip = addressOf(peers, request);
    return this.overCap(ip, origin) ?? { kind: "new", ip, client: engineClientOf(q) }; // replaced by the session once the socket opens
  }

  /** The WebSocket of a verified upgrade is open. Returns the session it serves, or null (socket closed). */
  wsOpened(link: WsLink, target: WsTarget): EngineSession | null {
    if (target.kind === "new") return this.create(link, target.ip ?? "", target.client ?? "unknown");
    const s = this.sessions.get(target.sid);
    if (s?.attachProbe(link)) return s;
    link.close(Close.normal, "session is gone or already upgraded");
    return null;
  }

  /**
   * An HTTP request on the Engine.IO path. `hold` is called when a GET becomes a long poll (the
   * plugin lifts the idle timeout for it); `peers` tells a handshake its client's address.
   */
  async http(request: Request, q: URLSearchParams, hold: () => void, peers?: PeerAddresses | null): Promise<Response> {
    const origin = request.headers.get("origin");
    const cors = this.cors.headers(origin);
    if (request.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: this.cors.preflight(origin, request.headers.get("access-control-request-headers")) });
    }
    const v = this.verify(q, request.method, false);
    if (v !== null && !(v instanceof EngineSession)) return this.error(v, origin);
    if (v === null) {
      if (q.get("transport") !== "polling") return this.error(EngineError.badRequest, origin);
      const ip = addressOf(peers, request);
      return this.overCap(ip, origin) ?? this.pollResponse(this.create(null, ip, engineClientOf(q)), request, cors, hold);
    }
    if (request.method === "GET") return this.pollResponse(v, request, cors, hold);
    if (request.method === "POST") return this.postResponse(v, request, cors);
    return this.error(EngineError.badRequest, origin);
  }

  private pollResponse(s: EngineSession, request: Request, cors: Record<string, string>, hold: () => void): Promise<Response> | Response {
    let reply!: (body: string) => void;
    const body = new Promise<string>((r) => (reply = r));
    if (!s.poll(reply)) return this.error(EngineError.badRequest, request.headers.get("origin"));
    hold();
    const onAbort = () => s.pollAborted(reply);
    request.signal.addEventListener("abort", onAbort, { once: true });
    return body.then((text) => {
      request.signal.removeEventListener("abort", onAbort);
      return new Response(text, { headers: { ...TEXT, ...cors } });
    });
  }

  private async postResponse(s: EngineSession, request: Request, cors: Record<string, string>): Promise<Response> {
    const max = this.opts.maxPayload;
    // maxPayload bounds every polling body (the reference answers 413 and drops the session),
    // counted while it streams in: a chunked body has no Content-Length to trust.
    const declared = request.headers.get("content-length");
    let text: string | null = null;
    if (declared === null || Number(declared) <= max) {
      try {
        text = await readBounded(request, max);
      } catch {
        s.terminate(EngineClose.transportError); // the client went away mid-body
        return this.error(EngineError.badRequest, request.headers.get("origin"));
      }
    }
    if (text === null) {
      this.counters.errors++;
      s.terminate(EngineClose.tooLarge);
      return new Response(null, { status: 413, headers: { ...cors, connection: "close" } });
    }
    let decoded: boolean;
    try {
      decoded = s.post(text);
    } catch (err) {
      // A handler threw: a bug. As a WebSocket gets 1011, only this session is dropped.
      this.fault(s, err);
      return new Response(null, { status: 500, headers: cors });
    }
    if (!decoded) return this.error(EngineError.badRequest, request.headers.get("origin"));
    // "ok" once the body is read and decoded: its packets over the rate wait in the session's
    // queue like a WebSocket's (docs/socketio.md#rate-limit), so the POST is not held for them.
    return new Response("ok", { headers: { "content-type": "text/html", ...cors } });
  }

  /** Graceful stop: every session is closed (polling clients get "1" on their pending GET). */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) {
      s.close(Close.goingAway);
      s.terminate(EngineClose.shutdown); // a polling client with no GET pending is not waited for
    }
  }
}
