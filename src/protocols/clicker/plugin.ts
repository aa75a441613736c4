// Wiring of the clicker score relay (docs/clicker.md) at /ws, and its missing-scores feed: the
// only clicker file that knows Elysia, Bun sockets and the database.
import type { ProtocolFactory } from "../types.ts";
import { fmt, idList } from "./codec.ts";
import { IssueLimit } from "./issue-limit.ts";
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";
import { ClickerHub, type ClickerClient } from "./state.ts";
import { clickerStatus } from "./status.ts";
import type { ClickerStore, SenderGaps, SqliteClickerStore } from "./store.ts";
import { exportResponse } from "./export.ts";
import type { ScoreHistory } from "./history.ts";

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
  // The SQL runs in the database worker (docs/architecture.md#data); its gauges come back with every reply.
  const remote = ctx.store.remote<ClickerStore & Pick<SqliteClickerStore, "activity">>("clicker");
  const store: ClickerStore = {
    register: (secret, allowNew) => remote.register(secret, allowNew),
    release: (id) => remote.release(id),
    // The relay's pending scores carry their connection: only the record crosses to the worker.
    saveScores: (scores) => remote.saveScores(scores.map(({ id, ts, score, msgId }) => ({ id, ts, score, msgId: msgId ?? null }))),
    latest: (ids) => remote.latest(ids),
    gaps: (ids) => remote.gaps(ids),
  };
  const facts = () => ctx.store.factsOf("clicker") as { missingScores?: number; sendersWithGaps?: number };
  const hub = new ClickerHub({
    store,
    topics: ctx.transport.topics("clicker"),
    // setImmediate runs after the socket events of this loop turn: their scores share one commit.
    defer: (fn) => setImmediate(fn),
    log: ctx.log.child({ protocol: "clicker" }),
    onError: () => counters.errors++,
    newIds: new IssueLimit(ctx.clock, ctx.config.clickerSecretsPerIpPerMin),
    maxIdsPerListen: ctx.config.clickerIdsPerListen,
  });
  // The route hands over the client's address (new secrets are counted per address: docs/clicker.md#caps).
  const ep = ctx.transport.endpoint<ClickerClient, string>({
    protocol: "clicker",
    open: (conn, ip) => hub.open(conn, ip),
    message: (conn, data) => hub.message(conn.state, data),
    close: (conn) => hub.close(conn.state),
    rateLimited: () => fmt.error("rate_limited", RATE_LIMITED_TEXT),
  });
  // Read in the database worker too: slices of the scores table, a message each.
  const history = ctx.store.remote<ScoreHistory>("clickerHistory");
  ctx.metrics.gauge("switchboard_clicker_senders", "Clicker: registered senders connected now.", () => hub.senderCount());
  ctx.metrics.gauge("switchboard_clicker_listeners", "Clicker: connections listening to at least one id.", () => hub.listenerCount());
  ctx.metrics.gauge("switchboard_clicker_missing_scores", "Clicker: draft-2 scores still missing (msgIds skipped and not received), all ids.", () => facts().missingScores ?? 0);
  ctx.metrics.gauge("switchboard_clicker_senders_missing_scores", "Clicker: ids with at least one draft-2 score still missing.", () => facts().sendersWithGaps ?? 0);
  return {
    name: "clicker",
    routes: (app) =>
      app
        .get("/ws", ({ request, server }) => ep.accept(request, server, ctx.transport.clientIP(request)))
        // ?ids=a,b: those ids, in that order, with or without gaps; no ids: every id with a gap.
        .get("/api/clicker/gaps", async ({ request }) => {
          const asked = new URL(request.url).searchParams.get("ids");
          const ids = asked === null ? undefined : idList(asked, ctx.config.clickerIdsPerListen);
          if (ids !== undefined && !Array.isArray(ids)) return json({ error: "bad_ids", message: ids.message }, 400);
          const found = await store.gaps(ids);
          const list = ids ?? [...found.keys()].sort();
          return json({ missing: facts().missingScores ?? 0, senders: list.map((id) => senderJson(id, found.get(id))) });
        })
        // The CSV export of stored scores (docs/clicker.md#csv-export).
        .get("/scores.csv", ({ request }) => exportResponse(new URL(request.url), history)),
    // Scores already received are committed before the database closes.
    stop: () => hub.stop(),
    status: clickerStatus({
      liveSenders: () => hub.liveSenders(),
      listenerCount: () => hub.listenerCount(),
      activity: (since, ids) => remote.activity(since, ids),
      clock: ctx.clock,
      onError: (err) => ctx.log.debug("clicker: reading today's scores failed", { err: (err as Error).message }),
    }),
  };
};
