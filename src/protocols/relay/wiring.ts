// The relay (PROTOCOLS.md §4) on the Socket.IO layer at /socket.io/, namespace "/". Loaded by
// plugin.ts on the first request to that path.
import { timingSafeEqual } from "node:crypto";
import type { PluginContext } from "../types.ts";
import { mountSocketIO, type MountedSocketIO } from "../socketio/plugin.ts";
import type { Ack, SioSocket } from "../socketio/sio/socket.ts";
import { randomId } from "../socketio/engine/server.ts";
import { Reason, Relay, type Reply } from "./relay.ts";
import { MemoryMonitorDirectory, MemoryPendingCommands } from "./registry.ts";

const sameToken = (given: unknown, want: string): boolean => {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

export interface LiveRelay {
  relay: Relay;
  handle: MountedSocketIO["handle"];
  stop(): void;
}

export function startRelay(ctx: PluginContext): LiveRelay {
  const mounted = mountSocketIO(ctx);
  const { io } = mounted;
  // Correlation ids: a per-process prefix keeps them unique across restarts and, later, nodes.
  const prefix = randomId().slice(0, 6);
  let seq = 0;
  const relay = new Relay(new MemoryMonitorDirectory(), new MemoryPendingCommands(), () => `${prefix}-${++seq}`);

  const nsp = io.of("/");
  const token = ctx.config.sioToken;
  // --sio-token: both roles must present auth {token} in the CONNECT packet (§4 "Optional auth").
  // The refusal carries the reason too (§4: every payload has a `reason`): at the top for
  // python-socketio, whose connect_error handler gets the whole object, and in `data` for
  // socket.io-client, which exposes only `message` and `data` on its error.
  const refusal = { message: Reason.badToken, reason: Reason.badToken, data: { reason: Reason.badToken } };
  if (token) nsp.use((auth) => (sameToken(auth.token, token) ? null : refusal));

  const answer = (socket: SioSocket, ack: Ack | null, reply: Reply) => {
    if (reply.event) socket.emit(reply.event, reply.payload);
    ack?.(reply.payload); // §4: an ack gets the same payload as the reply event
    if (reply.disconnect) socket.disconnect(true);
  };

  const handlers: Record<string, (key: string, payload: unknown) => Reply> = {
    query: (k, p) => relay.query(k, p),
    "command send": (k, p) => relay.commandSend(k, p),
    con: (k, p) => relay.con(k, p),
    "command done": (k, p) => relay.commandDone(k, p),
    "command error": (k, p) => relay.commandError(k, p),
  };

  // Handlers are registered once on the namespace, not per socket: an idle session then costs
  // no closures (docs/bench.md M1).
  nsp.onConnection((socket) => relay.join(socket));
  nsp.onDisconnect((socket) => relay.leave(socket.id));
  for (const [event, handle] of Object.entries(handlers)) nsp.on(event, (socket, args, ack) => answer(socket, ack, handle(socket.id, args[0])));
  // Common rules: bad input gets the protocol's error reply. An event the relay does not know
  // is answered with `error` (and its ack, so an emitWithAck does not hang); nothing changes.
  nsp.onUnknown((socket, event, _args, ack) => answer(socket, ack, { event: "error", payload: { reason: Reason.unknownEvent, event: event.slice(0, 64) } }));

  // Over the per-session event rate: a refused `command send` is a `command failed`, anything else
  // an `error` event; a client that keeps going is disconnected (see docs/socketio.md).
  io.rateLimited = (socket, event, ack) => {
    const payload = { reason: Reason.rateLimited };
    answer(socket, ack, { event: event === "command send" ? "command failed" : "error", payload });
  };

  return { relay, handle: mounted.handle, stop: mounted.stop };
}
