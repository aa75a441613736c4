// Wiring of the Socket.IO layer on Elysia: one route for every method on the Engine.IO path
// (long-polling GET/POST, CORS preflight, WebSocket upgrade) and the WebSocket seam for frames.
import type { AnyElysia } from "elysia";
import type { Server } from "bun";
import type { PluginContext } from "../protocols/types.ts";
import type { WsTarget } from "./engine/server.ts";
import type { EngineSession } from "./engine/session.ts";
import { SioServer, type SioOptions } from "./sio/server.ts";


/** What an Elysia handler gets that the Socket.IO layer uses. */
export interface SioRequest {
  request: Request;
  server: Server<any> | null;
}

export interface MountedSocketIO {
  io: SioServer;
  /** Every request on the Engine.IO path: an upgrade (undefined) or the HTTP answer. */
  handle(c: SioRequest): Response | Promise<Response> | undefined;
  routes(app: AnyElysia): AnyElysia;
  stop(): void;
}

export const SOCKET_IO_PATH = "/socket.io/";

/**
 * What connection state recovery may keep (docs/socketio.md#connection-state-recovery): packets
 * per socket (about a ping interval of a busy relay user), and in all (a few tens of MB at most).
 */
export const RECOVERY_BOUNDS = { maxPacketsPerSocket: 1000, maxPackets: 100_000, maxChars: 32 * 1024 * 1024 } as const;

/** Options from the server config (handshake defaults: docs/socketio.md#handshake-and-heartbeat), overridable per mount. */
export function sioOptions(ctx: PluginContext, overrides: Partial<SioOptions> = {}): SioOptions {
  const c = ctx.config;
  return {
    pingIntervalMs: c.sioPingIntervalMs,
    pingTimeoutMs: c.sioPingTimeoutMs,
    maxPayload: c.sioMaxPayload,
    upgradeTimeoutMs: 10_000,
    closeTimeoutMs: c.sioPingIntervalMs + c.sioPingTimeoutMs,
    maxBufferedPackets: 10_000,
    connectTimeoutMs: 45_000,
    corsOrigin: c.corsOrigin,
    // The seam's limits, counted per Engine.IO packet on either transport (docs/socketio.md#rate-limit).
    rate: { rate: c.rateLimit, burst: c.rateBurst, queueMessages: c.rateQueue, queueBytes: c.rateQueueBytes },
    maxSessionsPerIp: c.sioSessionsPerIp,
    recovery: { windowMs: c.sioRecoveryMs, ...RECOVERY_BOUNDS },
    ...overrides,
  };
}

export function mountSocketIO(ctx: PluginContext, opts: SioOptions = sioOptions(ctx)): MountedSocketIO {
  const counters = ctx.metrics.protocol("socketio");
  const io = new SioServer(ctx.clock, ctx.transport.topics("socketio"), opts, counters, ctx.log);
  // /healthz counts Engine.IO sessions, whatever their transport (the seam counts no sockets here).
  io.engine.onCount = (delta) => (counters.connections += delta);
  io.engine.onFault = (err, sid) => ctx.transport.reportFault("socketio", err, { sid });

  // A socket's state: the session it serves (null: the upgrade found none, and it was closed).
  const ep = ctx.transport.endpoint<EngineSession | null, WsTarget>({
    protocol: "socketio",
    maxFrameBytes: opts.maxPayload,
    rateLimit: false, // the Engine.IO session limits its packets, on either transport (engine/gate.ts)
    countConnections: false,
    open: (conn, target) => io.engine.wsOpened(conn, target),
    message: (conn, data) => conn.state?.wsFrame(conn, data),
    control: (conn) => conn.state?.wsControl(conn),
    close: (conn) => conn.state?.wsClosed(conn),
  });

  // A long poll is held up to one ping interval; Bun's idle timeout (10 s) would cut it.
  const holdSeconds = Math.min(255, Math.ceil((opts.pingIntervalMs + opts.pingTimeoutMs) / 1000) + 5);

  const handle = ({ request, server }: SioRequest) => {
    const q = new URL(request.url).searchParams;
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const target = io.engine.verifyUpgrade(request, q, ctx.transport);
      if (target instanceof Response) return target;
      return ep.accept(request, server, target);
    }
    return io.engine.http(request, q, () => server && ctx.transport.onServerOf(request, server, (s) => s.timeout(request, holdSeconds)), ctx.transport);
  };

  return {
    io,
    handle,
    routes: (app) => app.all(SOCKET_IO_PATH, ({ request, server }) => handle({ request, server }), { parse: "none" }),
    stop: () => io.close(),
  };
}
