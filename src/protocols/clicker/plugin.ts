// Wiring of the clicker score relay (docs/clicker.md) at /ws: the only clicker file that knows
// Elysia, Bun sockets and the database.
import type { ProtocolFactory } from "../types.ts";
import { fmt } from "./codec.ts";
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";
import { ClickerHub, type ClickerClient } from "./state.ts";
import { SqliteClickerStore } from "./store.ts";
import { exportResponse } from "./export.ts";
import { SqliteScoreHistory } from "./history.ts";

export const clickerProtocol: ProtocolFactory = (ctx) => {
  const counters = ctx.metrics.protocol("clicker");
  const hub = new ClickerHub({
    store: new SqliteClickerStore(ctx.store.db, undefined, () => ctx.clock.now()),
    topics: ctx.transport.topics("clicker"),
    // setImmediate runs after the socket events of this loop turn: their scores share one commit.
    defer: (fn) => setImmediate(fn),
    log: ctx.log.child({ protocol: "clicker" }),
    onError: () => counters.errors++,
  });
  const ep = ctx.transport.endpoint<ClickerClient, void>({
    protocol: "clicker",
    open: (conn) => hub.open(conn),
    message: (conn, data) => hub.message(conn.state, data),
    close: (conn) => hub.close(conn.state),
    rateLimited: () => fmt.error("rate_limited", RATE_LIMITED_TEXT),
  });
  const history = new SqliteScoreHistory(ctx.store.db);
  ctx.metrics.gauge("switchboard_clicker_senders", "Clicker: registered senders connected now.", () => hub.senderCount());
  ctx.metrics.gauge("switchboard_clicker_listeners", "Clicker: connections listening to at least one id.", () => hub.listenerCount());
  return {
    name: "clicker",
    routes: (app) =>
      app
        .get("/ws", ({ request, server }) =>
          ep.accept(request, server, undefined),
        )
        // The CSV export of stored scores (docs/clicker.md#csv-export).
        .get("/scores.csv", ({ request }) => exportResponse(new URL(request.url), history)),
    // Scores already received are committed before the database closes.
    stop: () => hub.stop(),
  };
};
