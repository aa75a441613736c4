// /mediator wiring (docs/buzzer.md): the route, the socket events, the pools from --pool, the
// gauge. The only buzzer file that knows Elysia and sockets. With --redis, pools, events, the game
// and the phones are shared across nodes through BuzzerCluster (docs/cluster.md#buzzer).
import type { LinkTimings } from "../../drivers/jeoparty/link.ts";
import type { ProtocolFactory } from "../types.ts";
import { Globs } from "../../access/glob.ts";
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";
import { encode } from "./codec.ts";
import { ConnectError, errorReply } from "./errors.ts";
import { deviceOpener, vetDevice } from "./devices.ts";
import type { NameStore } from "./game.ts";
import { BuzzerCluster, buzzerPort } from "./cluster.ts";
import { SharedNames } from "./shared-names.ts";
import { buzzerStatus } from "./status.ts";
import { EVENTS_TOPIC, Mediator, parsePoolSpec, type MediatorClient, type PoolSpec } from "./state.ts";

const decoder = new TextDecoder();

export interface BuzzerOptions {
  /** How long a connect command waits for the receiver's handshake (ms). */
  connectTimeoutMs: number;
  timings?: LinkTimings;
  /** Reopen backoff of a lost device (ms). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  discover?: () => string[];
}

const RATE_LIMITED = encode.error(errorReply("rate_limited", RATE_LIMITED_TEXT, null));

export function buzzerProtocol(opts: Partial<BuzzerOptions> = {}): ProtocolFactory {
  return (ctx) => {
    const { config, clock, log, transport } = ctx;
    const counters = ctx.metrics.protocol("buzzer");
    // Which devices a client's connect may open: --pool entries and --pool-allow patterns only.
    const configured = new Set(config.pool.map((p) => parsePoolSpec(p).id));
    const allow = new Globs(config.poolAllow);
    const vet = (spec: PoolSpec) =>
      configured.has(spec.id) || allow.matches(spec.id) ? vetDevice(spec) : ConnectError.notAllowed(spec.id);
    const local = transport.topics("buzzer");
    const cluster = ctx.cluster;
    const net = cluster
      ? new BuzzerCluster({
          port: buzzerPort(cluster),
          local,
          clock,
          log,
          connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
          // Frames waiting for another node are bounded like the rate queue (never below a small floor).
          maxHeld: Math.max(config.rateQueue, 100),
          rateLimited: RATE_LIMITED,
        })
      : null;
    // Team names live in the database worker (docs/architecture.md#data): every call a message.
    const stored = ctx.store.remote<NameStore>("buzzerNames");
    const mediator = new Mediator({
      clock,
      onError: () => counters.errors++,
      topics: net ? net.topics() : local,
      openPool: deviceOpener({ clock, log, baud: config.serialBaud, timings: opts.timings, minBackoffMs: opts.minBackoffMs, maxBackoffMs: opts.maxBackoffMs }),
      // What a pattern names and a client could really open (a character device of the right kind).
      discover: opts.discover ?? (() => allow.expand().filter((path) => vetDevice(parsePoolSpec(path)) === null)),
      vet,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      names: cluster && net ? new SharedNames({ redis: cluster.redis, local: stored, ready: () => cluster.ready, within: (w) => net.within(w) }) : stored,
      settleMs: config.buzzSettleMs,
      falseStartMs: config.falseStartMs,
      ...(net ? { quiz: (d) => net.makeQuiz(d), changed: (id) => net.changed(id) } : {}),
    });
    net?.attach(mediator);
    ctx.metrics.gauge("switchboard_buzzer_pools", "Buzzer pools connected now.", () => mediator.connectedCount);
    mediator.startConfigured(config.pool);

    const ep = transport.endpoint<MediatorClient, void>({
      protocol: "buzzer",
      open: (conn) => {
        conn.subscribe(EVENTS_TOPIC);
        const client = mediator.open(conn);
        net?.opened(client);
        return client;
      },
      message: (conn, data) => {
        const text = typeof data === "string" ? data : decoder.decode(data);
        if (net) net.message(conn.state, text);
        else void mediator.message(conn.state, text);
      },
      close: (conn) => {
        net?.closed(conn.state);
        mediator.close(conn.state);
      },
      rateLimited: () => RATE_LIMITED,
    });
    return {
      name: "buzzer",
      routes: (app) =>
        app.get("/mediator", ({ request, server }) =>
          ep.accept(request, server, undefined),
        ),
      stop: () => (net ? net.stop().then(() => mediator.stop()) : mediator.stop()),
      status: buzzerStatus({ mediator, clock, nameOf: (pool, buzzer) => mediator.quiz.nameOf(pool, buzzer) }),
    };
  };
}

export const buzzer: ProtocolFactory = buzzerProtocol();
