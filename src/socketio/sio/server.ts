// The generic Socket.IO v5 server: namespaces on top of the Engine.IO server. Applications (the
// relay, the reference server) use of(name).onConnection(socket => socket.on(...)).
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";
import type { Logger } from "../../log.ts";
import type { Clock, Topics } from "../../transport/types.ts";
import { EngineServer, randomId, type EngineServerOptions } from "../engine/server.ts";
import { SioClient } from "./client.ts";
import { Namespace } from "./namespace.ts";
import { Recovery, type RecoveryOptions } from "./recovery.ts";
import type { Ack, SioSocket } from "./socket.ts";

export interface SioOptions extends EngineServerOptions {
  /** Close a session that has not connected to any namespace after this long. */
  connectTimeoutMs: number;
  /** Connection state recovery; absent or a windowMs of 0: off. */
  recovery?: RecoveryOptions;
}

export interface SioCounters {
  framesIn: number;
  framesOut: number;
  errors: number;
}

export class SioServer {
  readonly engine: EngineServer;
  /** Connection state recovery, when on (recovery.ts). */
  readonly recovery: Recovery | null;
  private readonly nsps = new Map<string, Namespace>();
  /**
   * Reply to a packet refused because its session's rate queue was full (the session is closed
   * next): `event` is the refused EVENT's name, "" for any other packet. The default emits "error" {reason}.
   */
  rateLimited: (socket: SioSocket, event: string, ack: Ack | null) => void = (socket, _event, ack) => {
    const payload = { reason: RATE_LIMITED_TEXT };
    socket.emit("error", payload);
    ack?.(payload);
  };

  constructor(
    readonly clock: Clock,
    private readonly topics: Topics,
    readonly opts: SioOptions,
    readonly counters: SioCounters,
    readonly log: Logger,
  ) {
    this.engine = new EngineServer(clock, opts, counters, log);
    this.recovery = opts.recovery && opts.recovery.windowMs > 0 ? new Recovery(clock, opts.recovery) : null;
    this.engine.onSession = (session) => void new SioClient(this, session);
  }

  /** The namespace with this name, created on first use. */
  of(name: string): Namespace {
    let nsp = this.nsps.get(name);
    if (!nsp) this.nsps.set(name, (nsp = new Namespace(name, this.topics)));
    return nsp;
  }

  namespace(name: string): Namespace | undefined {
    return this.nsps.get(name);
  }

  newSocketId(): string {
    return randomId();
  }

  close(): void {
    this.engine.closeAll();
    this.recovery?.close();
  }
}
