// Wiring of the clicker relay (PROTOCOLS.md §3) at /ws: the only clicker file that knows
// Elysia, Bun sockets and the database.
import type { ProtocolFactory } from "../types.ts";
import { fmt } from "./codec.ts";
import { ClickerRelay } from "./relay.ts";
import { SqliteClickerStore } from "./store.ts";

export const clickerProtocol: ProtocolFactory = (ctx) => {
  const counters = ctx.metrics.protocol("clicker");
  const relay = new ClickerRelay({
    store: new SqliteClickerStore(ctx.store.db),
    topics: ctx.transport.topics("clicker"),
    // setImmediate runs after the socket events of this loop turn: their scores share one commit.
    defer: (fn) => setImmediate(fn),
    log: ctx.log.child({ protocol: "clicker" }),
    onError: () => counters.errors++,
  });
  const ep = ctx.transport.endpoint<null>({
    protocol: "clicker",
    open: (conn) => relay.open(conn),
    message: (conn, data) => relay.message(conn, data),
    close: (conn) => relay.close(conn),
    rateLimited: () => fmt.error("rate_limited", "too many messages, slow down"),
  });
  ctx.metrics.gauge("switchboard_clicker_senders", "Clicker: registered senders connected now.", () => relay.senderCount());
  ctx.metrics.gauge("switchboard_clicker_listeners", "Clicker: connections listening to at least one id.", () => relay.listenerCount());
  return {
    name: "clicker",
    routes: (app) =>
      app.get("/ws", ({ request, server }) =>
        ep.accept(request, server, null),
      ),
    // Scores already received are committed before the database closes.
    stop: () => relay.stop(),
  };
};
