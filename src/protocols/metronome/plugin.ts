// Wiring of the metronome protocol: routes /connect and /metronome, raw frames → JSON-RPC dispatch.
// The only metronome file that knows Elysia and sockets.
import type { Server } from "bun";
import { STATUS_LIST_MAX, type MetronomeStatus } from "../../pages/lib/status-types.ts";
import type { ProtocolFactory } from "../types.ts";
import { MetronomeHub, type MetronomeClient } from "./state.ts";
import { callCount, dispatch, encodeError } from "./codec.ts";
import { rpcError, RpcCode } from "./errors.ts";
import { metronomeDispatch, metronomeMethods } from "./methods.ts";

/** Sent on open (docs/metronome.md#opening-a-connection), byte for byte. */
export const OPEN_FRAME = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';
/** Reply to a frame refused by the rate limit: a server-defined error (-32000..-32099), id unknown. */
export const RATE_LIMITED_FRAME = encodeError(null, rpcError(RpcCode.rateLimited));
const PARSE_ERROR_FRAME = encodeError(null, rpcError(RpcCode.parseError));

const utf8 = new TextDecoder("utf-8", { fatal: true });

export const metronomeProtocol: ProtocolFactory = ({ transport, clock, config, metrics, pages }) => {
  const hub = new MetronomeHub({ clock, leadMs: config.metronomeLeadMs, topics: transport.topics("metronome") });
  const counters = metrics.protocol("metronome");
  const methods = metronomeMethods(hub);
  const rpc = metronomeDispatch(hub);
  metrics.gauge("switchboard_metronome_groups", "Metronome groups that exist.", () => hub.groups.size);
  metrics.gauge("switchboard_metronome_playing_groups", "Metronome groups with a running beat grid.", () => hub.groups.playing());

  const ep = transport.endpoint<MetronomeClient, void>({
    protocol: "metronome",
    open(conn) {
      conn.send(OPEN_FRAME);
      return hub.connect(conn);
    },
    // docs/common.md#rate-limit: each call of a batch is a unit of work.
    cost: (data) => (typeof data === "string" ? callCount(data) : 1),
    message(conn, data) {
      let text: string;
      try {
        // The contract is text frames; a binary frame holding UTF-8 JSON is read the same way.
        text = typeof data === "string" ? data : utf8.decode(data);
      } catch {
        counters.errors++;
        conn.send(PARSE_ERROR_FRAME);
        return;
      }
      const { reply, after, errors } = dispatch(text, methods, conn.state, rpc);
      counters.errors += errors;
      if (reply !== null) conn.send(reply);
      for (const fn of after) fn();
    },
    close: (conn) => hub.disconnect(conn.state),
    rateLimited: () => RATE_LIMITED_FRAME,
  });

  const upgrade = (request: Request, server: Server<any> | null) =>
    ep.accept(request, server, undefined);

  /** docs/pages.md#the-status-feed: groups with owner, members, tempo, whether they play. */
  const status = (): MetronomeStatus => {
    const groups: MetronomeStatus["groups"] = [];
    for (const g of hub.groups.values()) {
      if (groups.length >= STATUS_LIST_MAX) break;
      const members = [g.owner.clientId!, ...[...g.members].filter((m) => m !== g.owner && m.clientId !== null).map((m) => m.clientId!)];
      groups.push({ id: g.id, owner: g.owner.clientId!, members, member_count: g.members.size, bpm: g.bpm, playing: g.grid !== null });
    }
    return { group_count: hub.groups.size, groups };
  };

  return {
    name: "metronome",
    status,
    routes: (app) =>
      app
        .get("/connect", ({ request, server }) => upgrade(request, server))
        // A browser opening /metronome gets the metronome page when one is registered; the
        // upgrade (and, without a page, the 426) stays the protocol's (docs/pages.md#serving).
        .get("/metronome", ({ request, server }) => pages.serve(request, "/metronome") ?? upgrade(request, server)),
  };
};
