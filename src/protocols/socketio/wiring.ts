// The relay (docs/socketio.md#events) on the Socket.IO layer at /socket.io/, namespace "/". Loaded
// by plugin.ts on the first request to that path.
import { secretCheck } from "../../access/secret.ts";
import { Throttle } from "../../access/throttle.ts";
import type { PluginContext } from "../types.ts";
import { AUTH_FAILURES } from "./plugin.ts";
import { mountSocketIO, type MountedSocketIO } from "../../socketio/mount.ts";
import type { Ack, SioSocket } from "../../socketio/sio/socket.ts";
import { randomId } from "../../socketio/engine/server.ts";
import { Reason } from "./errors.ts";
import { CommandRelay, Role, type Reply, type Roles } from "./state.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "./registry.ts";

type Handler = (key: string, payload: unknown) => Reply;


export interface LiveRelay {
  relay: CommandRelay;
  /** Sockets that lost their transport and may still come back. */
  away(): number;
  handle: MountedSocketIO["handle"];
  stop(): void;
}

export function startRelay(ctx: PluginContext): LiveRelay {
  const mounted = mountSocketIO(ctx);
  const { io } = mounted;
  // Correlation ids: a per-process prefix keeps them unique across restarts and, later, nodes.
  const prefix = randomId().slice(0, 6);
  let seq = 0;
  const c = ctx.config;
  const limits = { perMonitor: c.sioPendingPerMonitor, perUser: c.sioPendingPerUser };
  const relay = new CommandRelay(new MemoryMonitorDirectory(), new MemoryPendingCommands(), () => `${prefix}-${++seq}`, limits);

  const nsp = io.of("/");
  // Explicit role tokens win over --sio-token; an empty one leaves that role open to everyone.
  const isMonitor = secretCheck(c.sioMonitorToken || c.sioToken);
  const isUser = secretCheck(c.sioUserToken || c.sioToken);
  const rolesOf = (auth: Readonly<Record<string, unknown>>): Roles =>
    (!isMonitor || isMonitor(auth.token) ? Role.monitor : 0) | (!isUser || isUser(auth.token) ? Role.user : 0);

  // Failed attempts, per client address: from the fifth in a minute each further attempt waits
  // before it is answered (docs/socketio.md#access-control).
  const throttle = new Throttle(ctx.clock);
  const failures = ctx.metrics.counter(AUTH_FAILURES.name, AUTH_FAILURES.help, AUTH_FAILURES.labels);
  const failed = (ip: string) => {
    failures.value++;
    throttle.fail(ip);
    ctx.log.debug("socket.io auth failure", { ip });
  };

  // A CONNECT whose token gives neither role is refused. The refusal carries the reason too (every
  // payload has a `reason`: docs/socketio.md#events): at the top for python-socketio, whose
  // connect_error handler gets the whole object, and in `data` for socket.io-client, which exposes
  // only `message` and `data` on its error.
  const refusal = { message: Reason.badToken, reason: Reason.badToken, data: { reason: Reason.badToken } };
  if (isMonitor || isUser) {
    nsp.delayConnect((peer) => throttle.attempt(peer.ip));
    nsp.use((auth, peer) => {
      if (rolesOf(auth)) return null;
      failed(peer.ip);
      return refusal;
    });
  }

  const answer = (socket: SioSocket, ack: Ack | null, reply: Reply) => {
    if (reply.denied) failed(socket.ip);
    if (reply.event) socket.emit(reply.event, reply.payload);
    ack?.(reply.payload); // an ack gets the same payload as the reply event (docs/socketio.md#events)
    if (reply.disconnect) socket.disconnect(true);
  };

  // `con`, `query` and `monitors` are where a role is used first. From a throttled address they
  // are answered after the throttle's wait, whatever the outcome (an early answer would tell
  // success from failure); the socket's later events wait behind them, in order.
  const held = new Map<SioSocket, { queue: Array<() => void>; cancel: () => void }>();
  const guarded = (event: string) => (event === "con" && isMonitor !== null) || ((event === "query" || event === "monitors") && isUser !== null);
  const later = (socket: SioSocket, guard: boolean, fn: () => void) => {
    const waiting = held.get(socket);
    if (waiting) return void waiting.queue.push(fn);
    const wait = guard ? throttle.attempt(socket.ip) : 0;
    if (wait <= 0) return fn();
    const queue = [fn];
    const cancel = ctx.clock.setTimer(wait, () => {
      held.delete(socket);
      for (const f of queue) if (!socket.ended) f(); // a socket away gets the answers when it is back
    });
    held.set(socket, { queue, cancel });
  };
  /** Runs an event's handler now, or through `later` while anything may have to wait (no closure on the usual path). */
  const dispatch = (socket: SioSocket, ack: Ack | null, guard: boolean, handle: Handler, payload: unknown) => {
    if (guard || held.size) later(socket, guard, () => answer(socket, ack, handle(socket.id, payload)));
    else answer(socket, ack, handle(socket.id, payload));
  };

  const handlers: Record<string, Handler> = {
    query: (k, p) => relay.query(k, p),
    "command send": (k, p) => relay.commandSend(k, p),
    con: (k, p) => relay.con(k, p),
    "command done": (k, p) => relay.commandDone(k, p),
    "command error": (k, p) => relay.commandError(k, p),
    monitors: (k) => relay.listMonitors(k),
  };

  // Handlers are registered once on the namespace, not per socket: an idle session then costs
  // no closures, and idle memory per connection is what bounds how many a small board holds.
  nsp.onConnection((socket) => relay.join(socket, rolesOf(socket.auth)));
  // A socket that lost its transport and may come back keeps its place in the relay: its monitor
  // id, its commands, and what is emitted to it meanwhile (kept by the layer, sent when it is
  // back). Only a socket gone for good leaves (docs/socketio.md#connection-state-recovery).
  nsp.onSuspend((socket, reason) => ctx.log.debug("socket.io socket away", { sid: socket.id, reason }));
  nsp.onRecover((socket) => ctx.log.debug("socket.io socket recovered", { sid: socket.id }));
  nsp.onDisconnect((socket) => {
    held.get(socket)?.cancel();
    held.delete(socket);
    relay.leave(socket.id);
  });
  for (const [event, handle] of Object.entries(handlers)) {
    const guard = guarded(event);
    nsp.on(event, (socket, args, ack) => dispatch(socket, ack, guard, handle, args[0]));
  }
  // Common rules: bad input gets the protocol's error reply. An event the relay does not know
  // is answered with `error` (and its ack, so an emitWithAck does not hang); nothing changes.
  const unknown: Handler = (_key, event) => ({ event: "error", payload: { reason: Reason.unknownEvent, event: (event as string).slice(0, 64) } });
  nsp.onUnknown((socket, event, _args, ack) => dispatch(socket, ack, false, unknown, event));

  // A packet that found its session's rate queue full: a refused `command send` is a `command
  // failed`, anything else an `error` event; the session is closed next (docs/socketio.md#rate-limit).
  io.rateLimited = (socket, event, ack) => {
    const payload = { reason: Reason.rateLimited };
    answer(socket, ack, { event: event === "command send" ? "command failed" : "error", payload });
  };

  return { relay, handle: mounted.handle, stop: mounted.stop, away: () => io.recovery?.stats().away ?? 0 };
}
