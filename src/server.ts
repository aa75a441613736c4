// Builds the Elysia app: HTTP routes, every protocol plugin, the WebSocket seam; listen and stop.
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { protocols as defaultProtocols } from "./protocols/index.ts";
import type { PluginContext, ProtocolFactory } from "./protocols/types.ts";
import { openStore } from "./store/db.ts";
import { systemClock } from "./transport/clock.ts";
import { Metrics } from "./transport/metrics.ts";
import type { Clock } from "./transport/types.ts";
import { Transport } from "./transport/ws.ts";

export interface ServerOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
  protocols?: ProtocolFactory[];
}

export interface RunningServer {
  port: number;
  hostname: string;
  ctx: PluginContext;
  /** Graceful stop: refuse new connections, close sockets with 1001, stop plugins, close the database. */
  stop(): Promise<void>;
}

/** Largest frame any endpoint may accept; each endpoint enforces its own, smaller limit. */
const socketLimit = (c: Config) => Math.max(c.maxFrameBytes, c.sioMaxPayload);

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config, log } = opts;
  const started = performance.now();
  const store = openStore(config.dataDir, log);
  const metrics = new Metrics();
  const transport = new Transport(config, metrics, log);
  const ctx: PluginContext = { config, log, store, clock: opts.clock ?? systemClock, metrics, transport };
  const plugins = (opts.protocols ?? defaultProtocols).map((make) => make(ctx));

  let app = new Elysia({
    // WebSocket settings only take effect on the root app (DESIGN.md).
    websocket: {
      maxPayloadLength: socketLimit(config),
      backpressureLimit: config.backpressureBytes,
      closeOnBackpressureLimit: true, // a dropped frame would corrupt JSON-RPC and Socket.IO state
      idleTimeout: 0, // pings and idle close are the transport's own sweep (configurable in ms)
      sendPings: false,
      perMessageDeflate: false,
    },
  })
    .get("/healthz", () => ({
      status: "ok",
      uptime_s: Math.round((performance.now() - started) / 100) / 10,
      connections: metrics.connections(),
    }))
    .get("/metrics", () => new Response(metrics.prometheus(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }));
  for (const p of plugins) app = p.routes(app) as typeof app;

  // reusePort would let a second process on the same port silently split traffic.
  app.listen({ hostname: config.host, port: config.port, reusePort: false, development: false });
  const server = app.server!;
  transport.start(server);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // Plugins first: they flush pending work and end their sessions in their own protocol
      // (a Socket.IO long poll gets its close packet before the HTTP side goes away).
      for (const p of plugins) {
        try {
          await p.stop?.();
        } catch (err) {
          log.error("plugin stop failed", { plugin: p.name, err: err as Error });
        }
      }
      server.stop(false); // stop accepting; existing connections stay for the close handshake
      transport.closeAll();
      const deadline = performance.now() + 2000;
      // Let answered requests (a released long poll) reach the wire and close handshakes finish.
      while ((transport.live.size > 0 || server.pendingRequests > 0) && performance.now() < deadline) await Bun.sleep(10);
      await server.stop(true);
      store.close();
    })());

  return { port: server.port!, hostname: server.hostname!, ctx, stop };
}
