// Wiring of the clicker score relay (docs/clicker.md) at /ws, and its missing-scores feed: the
// only clicker file that knows Elysia, Bun sockets and the database.
import type { ProtocolFactory } from "../types.ts";
import { fmt, idList } from "./codec.ts";
import { Says } from "./errors.ts";
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";
import { ClickerHub, type ClickerClient } from "./state.ts";
import { SqliteClickerStore, type SenderGaps } from "./store.ts";

/** One id of the gaps feed (docs/clicker.md#missing-scores); msgIds are below 2^53, exact as numbers. */
const senderJson = (id: string, g: SenderGaps | undefined) => ({
  id,
  missing: Number(g?.missing ?? 0n),
  highest_msg_id: g?.highest == null ? null : Number(g.highest),
  gaps: (g?.gaps ?? []).map(({ first, last }) => ({ first: Number(first), last: Number(last) })),
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });

export const clickerProtocol: ProtocolFactory = (ctx) => {
  const counters = ctx.metrics.protocol("clicker");
  const store = new SqliteClickerStore(ctx.store.db);
  const hub = new ClickerHub({
    store,
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
  ctx.metrics.gauge("switchboard_clicker_senders", "Clicker: registered senders connected now.", () => hub.senderCount());
  ctx.metrics.gauge("switchboard_clicker_listeners", "Clicker: connections listening to at least one id.", () => hub.listenerCount());
  ctx.metrics.gauge("switchboard_clicker_missing_scores", "Clicker: draft-2 scores still missing (msgIds skipped and not received), all ids.", () => store.missingScores);
  ctx.metrics.gauge("switchboard_clicker_senders_missing_scores", "Clicker: ids with at least one draft-2 score still missing.", () => store.sendersWithGaps);
  return {
    name: "clicker",
    routes: (app) =>
      app
        .get("/ws", ({ request, server }) => ep.accept(request, server, undefined))
        // ?ids=a,b: those ids, in that order, with or without gaps; no ids: every id with a gap.
        .get("/api/clicker/gaps", async ({ request }) => {
          const asked = new URL(request.url).searchParams.get("ids");
          const ids = asked === null ? undefined : idList(asked);
          if (typeof ids === "string") return json({ error: "bad_ids", message: Says.badId(ids) }, 400);
          const found = await store.gaps(ids);
          const list = ids ?? [...found.keys()].sort();
          return json({ missing: store.missingScores, senders: list.map((id) => senderJson(id, found.get(id))) });
        }),
    // Scores already received are committed before the database closes.
    stop: () => hub.stop(),
  };
};
