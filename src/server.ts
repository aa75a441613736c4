// Builds the Elysia app: HTTP routes, every protocol plugin, the WebSocket seam; listen and stop.
import { Elysia, type AnyElysia } from "elysia";
import { accessSync, constants, mkdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { accessRoutes } from "./access/http.ts";
import { OperatorAuth } from "./access/operator.ts";
import { OriginPolicy } from "./access/origin.ts";
import { keptOperatorToken } from "./access/token-file.ts";
import type { Config } from "./config.ts";
import { lanUrl } from "./lan.ts";
import { mediaRoutes } from "./media/serve.ts";
import type { Logger } from "./log.ts";
import type { PageEntry } from "./pages/registry.ts";
import { createPages } from "./pages/serve.ts";
import { protocols as defaultProtocols } from "./protocols/index.ts";
import type { PluginContext, ProtocolFactory } from "./protocols/types.ts";
import { Cluster, defaultNodeId } from "./cluster/cluster.ts";
import { Store } from "./store/store.ts";
import { systemClock } from "./transport/clock.ts";
import { Metrics } from "./transport/metrics.ts";
import type { Clock } from "./transport/types.ts";
import { socketEvents } from "./transport/handler.ts";
import { Transport } from "./transport/transport.ts";

export interface ServerOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
  protocols?: ProtocolFactory[];
  /** The built-in pages (default: src/pages/registry.ts). */
  pages?: PageEntry[];
}

export interface RunningServer {
  port: number;
  hostname: string;
  /** The operator console URL, with the operator token (docs/access.md#operator-rights). */
  consoleUrl: string;
  ctx: PluginContext;
  /** Graceful stop: refuse new connections, close sockets with 1001, stop plugins, close the database. */
  stop(): Promise<void>;
  /** Re-read --tls-cert/--tls-key (SIGHUP); throws StartupError and keeps the old pair if they are refused. */
  reloadTls(): void;
}

/** A start-up failure the operator can fix (port taken, data dir not writable): the message says how. */
export class StartupError extends Error {}

const reason = (err: unknown) => ((err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err));

/** Open the database, turning "unable to open database file" into which folder and why. */
async function openDataDir(dataDir: string, log: Logger): Promise<Store> {
  const where = `data dir '${dataDir}'` + (resolve(dataDir) === dataDir ? "" : ` (${resolve(dataDir)})`);
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK | constants.X_OK); // SQLite creates the -wal and -shm files beside the database
  } catch (err) {
    throw new StartupError(`${where} is not a writable folder (${reason(err)}); set --data-dir or SWITCHBOARD_DATA_DIR to one this user can write`);
  }
  try {
    return await Store.open(dataDir, log);
  } catch (err) {
    throw new StartupError(`${where}: cannot open the database (${(err as Error).message})`);
  }
}

/** --media-dir, checked now so a missing folder is a start-up error rather than 404s later. */
function mediaDir(dir: string): string {
  if (!dir) return "";
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (err) {
    throw new StartupError(`--media-dir '${dir}' is not a readable folder (${reason(err)})`);
  }
  return dir;
}

/** --tls-cert/--tls-key as Bun's TLS options, read now so a missing file is a start-up error. */
function tlsOptions(c: Config): { cert: string; key: string } | undefined {
  if (!c.tlsCert && !c.tlsKey) return undefined;
  if (!c.tlsCert || !c.tlsKey) throw new StartupError("TLS needs both --tls-cert and --tls-key");
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new StartupError(`cannot read the TLS ${what} '${path}' (${reason(err)})`);
    }
  };
  return { cert: read(c.tlsCert, "certificate"), key: read(c.tlsKey, "key") };
}

/** Join the other nodes (docs/cluster.md); an unreachable Redis is a start-up failure. */
async function startCluster(config: Config, log: Logger, transport: Transport, store: Store): Promise<Cluster> {
  try {
    const cluster = await Cluster.start(
      { redisUrl: config.redis, nodeId: config.nodeId || defaultNodeId(), heartbeatMs: config.clusterHeartbeatMs, nodeTimeoutMs: config.clusterNodeTimeoutMs },
      log,
      (topic, data) => transport.deliverLocal(topic, data),
    );
    transport.bus = cluster.bus;
    return cluster;
  } catch (err) {
    await store.close();
    throw new StartupError(`cannot reach Redis at --redis (${(err as Error).message})`);
  }
}

/** /healthz's view of the caps (docs/common.md#caps): JSON has no Infinity, so "unlimited" is null. */
function limitsReport(t: Transport) {
  const finite = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);
  return {
    open_files_soft: finite(t.fileLimits?.soft),
    open_files_hard: finite(t.fileLimits?.hard),
    max_connections: finite(t.maxConns),
    max_connections_per_ip: t.limits.maxConnsPerIp || null,
    connections: t.live.size,
  };
}

/** How long one plugin may take to stop before shutdown goes on without it. */
const PLUGIN_STOP_MS = 1000;

/** Largest frame any endpoint may accept; each endpoint enforces its own, smaller limit. */
const socketLimit = (c: Config) => Math.max(c.maxFrameBytes, c.sioMaxPayload);

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config, log } = opts;
  const started = performance.now();
  const tls = tlsOptions(config);
  const media = mediaDir(config.mediaDir);
  const store = await openDataDir(config.dataDir, log);
  const operatorToken = config.operatorToken || keptOperatorToken(config.dataDir).token;
  const operator = new OperatorAuth(operatorToken);
  const metrics = new Metrics();
  const clock = opts.clock ?? systemClock;
  const transport = new Transport(config, metrics, log, clock);
  transport.grantsOperator = (request) => operator.grants(request);
  // Pages cost nothing until the first page request (docs/pages.md#serving).
  const pages = createPages({ config, log, registry: opts.pages, isOperator: (request) => operator.grants(request) });
  const cluster = config.redis ? await startCluster(config, log, transport, store) : null;
  const ctx: PluginContext = { config, log, store, clock, metrics, transport, pages, cluster };
  const plugins = (opts.protocols ?? defaultProtocols).map((make) => make(ctx));

  // Where Bun's own router does not take a request (/socket.io/, whose trailing slash Elysia
  // drops from the native routes), Elysia finds the path with indexOf("/") from character 11
  // (after "http://" and a host of at least 4), or from 7 when told the host may be shorter. Over
  // plain http, 7 is always right: a board reached as http://pi:8080 had its paths misread (404).
  // Over https, 7 would stop inside "https://"; 11 is right whenever the Host is 3 characters or
  // more, which a Host with a port (pi:8443) always is.
  let app: AnyElysia = new Elysia({ handler: { standardHostname: tls !== undefined } });
  app = accessRoutes(app, {
    operator,
    origins: new OriginPolicy(config.allowedOrigins),
    secure: tls !== undefined,
    refused: (why, request) => log.debug("request refused", { why, origin: request.headers.get("origin") }),
  });
  app = app
    .get("/healthz", () => {
      const body = {
        // Several nodes: a node that cannot reach Redis is not ready, so a load balancer takes it out.
        status: cluster && !cluster.ready ? "not_ready" : "ok",
        uptime_s: Math.round((performance.now() - started) / 100) / 10,
        connections: metrics.connections(),
        limits: limitsReport(transport),
        store: store.health(),
        ...(cluster ? { cluster: cluster.health() } : {}),
      };
      return new Response(JSON.stringify(body), { status: body.status === "ok" ? 200 : 503, headers: { "content-type": "application/json" } });
    })
    .get("/metrics", () => new Response(metrics.prometheus(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }));
  for (const p of plugins) app = p.routes(app);
  app = mediaRoutes(app, media);
  app = pages.routes(app); // after the plugins: a page never shadows a protocol route

  // reusePort would let a second process on the same port silently split traffic.
  const listenOptions = {
    hostname: config.host,
    port: config.port,
    reusePort: false,
    development: false,
    // Given to listen(), these replace Elysia's WebSocket dispatch with the seam's (transport/handler.ts).
    websocket: {
      ...socketEvents,
      maxPayloadLength: socketLimit(config),
      backpressureLimit: config.backpressureBytes,
      closeOnBackpressureLimit: true, // a dropped frame would corrupt JSON-RPC and Socket.IO state
      idleTimeout: 0, // pings and idle close are the seam's own (transport/keepalive.ts, in ms)
      sendPings: false,
      perMessageDeflate: false,
    },
  };
  try {
    app.listen({ ...listenOptions, tls });
  } catch (err) {
    // Nothing is served: release what the plugins started (pools, timers) and the database.
    for (const p of plugins) await Promise.resolve(p.stop?.()).catch(() => {});
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new StartupError(
      code === "EADDRINUSE"
        ? `port ${config.port} on ${config.host} is already in use (another Switchboard, or another program); choose one with --port or SWITCHBOARD_PORT`
        : `cannot listen on ${config.host}:${config.port} (${code ?? (err as Error).message})`,
    );
  }
  transport.start(app.server!);
  const port = app.server!.port!;
  let currentTls = tls;

  /**
   * SIGHUP: serve the certificate now on disk. Bun cannot swap a listener's certificate, so a new
   * listener on the same port takes over: the old one stops accepting the moment before, and
   * keeps serving its open sockets and requests until they end (fan-out reaches both).
   */
  const reloadTls = () => {
    if (!currentTls) return;
    const next = tlsOptions(config);
    const old = app.server!;
    old.stop(false);
    try {
      app.listen({ ...listenOptions, port, tls: next });
    } catch (err) {
      app.listen({ ...listenOptions, port, tls: currentTls });
      transport.adopt(app.server!);
      throw new StartupError(`the new TLS certificate or key was refused (${(err as Error).message}); still serving the old one`);
    }
    currentTls = next;
    transport.adopt(app.server!);
  };

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // Not accepting comes first (docs/common.md#shutdown). Open connections and held requests stay.
      for (const s of transport.servers) s.stop(false);
      // Then the plugins flush pending work and end their sessions in their own protocol
      // (a Socket.IO long poll gets its close packet before the HTTP side goes away).
      // Each gets a bounded time: a device that hangs on close must not cost the other sockets
      // their 1001 or the database its flush (docs/common.md#shutdown: all of it within 5 s).
      for (const p of plugins) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), PLUGIN_STOP_MS)));
        try {
          if ((await Promise.race([Promise.resolve(p.stop?.()), late])) === "late") log.warn("plugin stop timed out", { plugin: p.name });
        } catch (err) {
          log.error("plugin stop failed", { plugin: p.name, err: err as Error });
        } finally {
          clearTimeout(timer);
        }
      }
      transport.closeAll();
      await cluster?.stop();
      const deadline = performance.now() + 2000;
      // Let answered requests (a released long poll) reach the wire and close handshakes finish.
      const pendingRequests = () => transport.servers.reduce((n, s) => n + s.pendingRequests, 0);
      while ((transport.live.size > 0 || pendingRequests() > 0) && performance.now() < deadline) await Bun.sleep(10);
      await Promise.all(transport.servers.map((s) => s.stop(true)));
      await store.close();
    })());

  const consoleUrl = `${lanUrl(config.host, port, tls !== undefined)}/?token=${encodeURIComponent(operatorToken)}`;
  return { port, hostname: app.server!.hostname!, consoleUrl, ctx, stop, reloadTls };
}
