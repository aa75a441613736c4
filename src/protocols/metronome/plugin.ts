// Wiring of the metronome protocol: routes /connect and /metronome, raw frames → JSON-RPC dispatch.
// The only metronome file that knows Elysia and sockets.
import type { Server } from "bun";
import { STATUS_LIST_MAX, type MetronomeStatus } from "../../pages/lib/status-types.ts";
import type { ProtocolFactory } from "../types.ts";
import { MetronomeHub, type MetronomeClient } from "./state.ts";
import type { Conn } from "../../transport/types.ts";
import { callCount, dispatch, encodeError, type DispatchResult } from "./codec.ts";
import { rpcError, RpcCode } from "./errors.ts";
import { metronomeDispatch, metronomeMethods } from "./methods.ts";
import { SharedGroups } from "./shared-groups.ts";
import { SharedIds } from "./shared-ids.ts";

/** Sent on open (docs/metronome.md#opening-a-connection), byte for byte. */
export const OPEN_FRAME = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';
/** Reply to a frame refused by the rate limit: a server-defined error (-32000..-32099), id unknown. */
export const RATE_LIMITED_FRAME = encodeError(null, rpcError(RpcCode.rateLimited));
const PARSE_ERROR_FRAME = encodeError(null, rpcError(RpcCode.parseError));

const utf8 = new TextDecoder("utf-8", { fatal: true });

export const metronomeProtocol: ProtocolFactory = ({ transport, clock, config, metrics, pages, cluster, log }) => {
  // Several nodes: ids and groups shared through Redis (docs/cluster.md#metronome); else in memory.
  const shared = cluster ? { ids: new SharedIds(cluster, log), groups: new SharedGroups<MetronomeClient>(cluster, log) } : null;
  const hub = new MetronomeHub({ clock, leadMs: config.metronomeLeadMs, topics: transport.topics("metronome"), ...shared });
  shared?.groups.listen((g, change, from) => hub.remote(g, change, from));
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
      const s = conn.state;
      // A frame waiting for shared state holds back the frames after it (docs/cluster.md#metronome):
      // replies never overtake each other.
      if (s.backlog) return void s.backlog.push(data);
      const r = handle(conn, data);
      if (r) return drain(conn, r);
    },
    close: (conn) => hub.disconnect(conn.state),
    rateLimited: () => RATE_LIMITED_FRAME,
  });

  /** Read and run one frame; a promise when a call in it waits (for Redis, on several nodes). */
  function handle(conn: Conn<MetronomeClient>, data: string | Uint8Array): Promise<DispatchResult> | null {
    let text: string;
    try {
      // The contract is text frames; a binary frame holding UTF-8 JSON is read the same way.
      text = typeof data === "string" ? data : utf8.decode(data);
    } catch {
      counters.errors++;
      conn.send(PARSE_ERROR_FRAME);
      return null;
    }
    const r = dispatch(text, methods, conn.state, rpc);
    if (r instanceof Promise) return r;
    answer(conn, r);
    return null;
  }

  function answer(conn: Conn<MetronomeClient>, { reply, after, errors }: DispatchResult): void {
    counters.errors += errors;
    if (reply !== null) conn.send(reply);
    for (const fn of after) fn();
  }

  /** Finish a frame that waits, then the frames that came meanwhile, one at a time, in order. */
  async function drain(conn: Conn<MetronomeClient>, first: Promise<DispatchResult>): Promise<void> {
    const s = conn.state;
    s.backlog = [];
    let r: Promise<DispatchResult> | null = first;
    for (;;) {
      if (r) {
        const done = await r;
        conn.cork(() => answer(conn, done));
      }
      const next = s.backlog.shift();
      if (next === undefined) break;
      r = handle(conn, next);
    }
    s.backlog = null;
  }

  const upgrade = (request: Request, server: Server<any> | null) =>
    ep.accept(request, server, undefined);

  /** docs/pages.md#the-status-feed: groups with owner, members, tempo, whether they play. */
  const status = (): MetronomeStatus => {
    const groups: MetronomeStatus["groups"] = [];
    for (const g of hub.groups.values()) {
      if (groups.length >= STATUS_LIST_MAX) break;
      if (!g.owner) continue; // a mirror: its owner's node lists it
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
