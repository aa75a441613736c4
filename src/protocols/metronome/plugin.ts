// Wiring of the metronome protocol: routes /connect and /metronome, raw frames → JSON-RPC dispatch.
// The only metronome file that knows Elysia and sockets.
import type { Server } from "bun";
import type { ProtocolFactory } from "../types.ts";
import { MetronomeHub, type Session } from "./hub.ts";
import { dispatch, encodeError, rpcError, RpcCode } from "./jsonrpc.ts";
import { metronomeMethods } from "./methods.ts";

/** Sent on open (PROTOCOLS.md §1), byte for byte. */
export const OPEN_FRAME = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';
/** Reply to a frame refused by the rate limit: a server-defined error (-32000..-32099), id unknown. */
export const RATE_LIMITED_FRAME = encodeError(null, rpcError(RpcCode.rateLimited));
const PARSE_ERROR_FRAME = encodeError(null, rpcError(RpcCode.parseError));

const utf8 = new TextDecoder("utf-8", { fatal: true });

export const metronomeProtocol: ProtocolFactory = ({ transport, clock, config, metrics, pages }) => {
  const hub = new MetronomeHub({ clock, leadMs: config.metronomeLeadMs, topics: transport.topics("metronome") });
  const counters = metrics.protocol("metronome");
  const methods = metronomeMethods(hub);
  metrics.gauge("switchboard_metronome_groups", "Metronome groups that exist.", () => hub.groups.size);
  metrics.gauge("switchboard_metronome_playing_groups", "Metronome groups with a running beat grid.", () => hub.groups.playing());

  // The Session needs the connection, which exists only once upgraded: state starts null, set on open.
  const ep = transport.endpoint<Session | null>({
    protocol: "metronome",
    open(conn) {
      conn.state = hub.connect(conn);
      conn.send(OPEN_FRAME);
    },
    message(conn, data) {
      const session = conn.state;
      if (!session) return;
      let text: string;
      try {
        // The contract is text frames; a binary frame holding UTF-8 JSON is read the same way.
        text = typeof data === "string" ? data : utf8.decode(data);
      } catch {
        counters.errors++;
        conn.send(PARSE_ERROR_FRAME);
        return;
      }
      const { reply, after, errors } = dispatch(text, methods, session);
      counters.errors += errors;
      if (reply !== null) conn.send(reply);
      for (const fn of after) fn();
    },
    close(conn) {
      if (conn.state) hub.disconnect(conn.state);
      conn.state = null;
    },
    rateLimited: () => RATE_LIMITED_FRAME,
  });

  const upgrade = (request: Request, server: Server<any> | null) =>
    ep.accept(request, server, null);

  return {
    name: "metronome",
    routes: (app) =>
      app
        .get("/connect", ({ request, server }) => upgrade(request, server))
        // A browser opening /metronome gets the metronome page when one is registered; the
        // upgrade (and, without a page, the 426) stays the protocol's (docs/pages.md#serving).
        .get("/metronome", ({ request, server }) => pages.serve(request, "/metronome") ?? upgrade(request, server)),
  };
};
