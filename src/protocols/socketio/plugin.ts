// The relay's plugin (docs/socketio.md): the /socket.io/ route is registered at start, but the
// Socket.IO layer (Engine.IO sessions, socket.io-parser and its `debug` dependency) and the relay
// are loaded on the first request to it. A server nobody talks Socket.IO to never pays their
// start-up memory (docs/socketio.md#loading). The module is part of the compiled binary all the
// same: the bundler follows the import() below.
import type { ProtocolFactory } from "../types.ts";
import { relayStatus } from "./status.ts";
import type { LiveRelay } from "./wiring.ts";

/** The Engine.IO path (kept here so the route exists before the layer is loaded). */
const PATH = "/socket.io/";

/** Failed auth attempts in /metrics (registered here at start, counted by the relay). */
export const AUTH_FAILURES = { name: "switchboard_auth_failures_total", help: "Failed authentication attempts.", labels: 'protocol="socketio"' };

export const socketioProtocol: ProtocolFactory = (ctx) => {
  let live: LiveRelay | null = null;
  let loading: Promise<LiveRelay> | null = null;
  const load = () =>
    (loading ??= import("./wiring.ts").then((m) => {
      live = m.startRelay(ctx);
      return live;
    }));

  // Registered now so /metrics lists them (as zero) before the first client.
  ctx.metrics.protocol("socketio");
  ctx.metrics.gauge("switchboard_socketio_monitors", "Relay monitors connected.", () => live?.relay.monitors() ?? 0);
  ctx.metrics.counter(AUTH_FAILURES.name, AUTH_FAILURES.help, AUTH_FAILURES.labels);
  ctx.metrics.gauge("switchboard_socketio_pending_commands", "Relay commands sent and not yet finished.", () => live?.relay.pendingCommands() ?? 0);
  ctx.metrics.gauge("switchboard_socketio_recovering", "Socket.IO sockets that lost their connection and may still come back.", () => live?.away() ?? 0);

  return {
    name: "socketio",
    // After the first request the handler answers synchronously, as before (an upgrade included).
    // The handler names the two context fields it uses: Elysia reads a handler's parameters to
    // decide what to prepare, and a context taken whole gets cookies, query and headers parsed for
    // every request (a quarter of a long-polling request's cost).
    routes: (app) =>
      app.all(PATH, ({ request, server }) => (live ? live.handle({ request, server }) : load().then((l) => l.handle({ request, server }))), { parse: "none" }),
    stop: async () => {
      if (loading) (await loading).stop();
    },
    // Reading the feed never loads the layer: before the first Socket.IO request there is nothing to show.
    status: () => relayStatus(live?.relay.view() ?? null, live?.away() ?? 0),
  };
};
