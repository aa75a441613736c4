// Watch-party wiring (docs/syncparty.md): the /OpenSyncParty/ws route, socket events → the
// dispatch, one Bun topic per room, gauges. The only file of this protocol that knows sockets.
// With --redis, rooms are shared across nodes through PartyCluster (docs/cluster.md#watch-party).
import type { ProtocolFactory } from "../types.ts";
import { JwtAuth } from "./auth.ts";
import { clusterPort, PartyCluster } from "./cluster.ts";
import { PartyDispatch, type Viewer } from "./dispatch.ts";
import type { Proxied } from "./proxy.ts";
import { PartyRooms } from "./state.ts";
import { partyStatus } from "./status.ts";

export const SYNCPARTY_PATH = "/OpenSyncParty/ws";
const decoder = new TextDecoder();

/** 12 hex digits of randomness: short enough to read out, unguessable enough for a party. */
const randomRoomId = () => crypto.randomUUID().replace(/-/g, "").slice(0, 12);
/** A seat's resume token: 128 random bits as 32 hex digits (docs/syncparty.md#seats-and-resume-tokens). */
const randomResumeToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");

export const syncparty: ProtocolFactory = (ctx) => {
  const { config, clock, transport } = ctx;
  const local = transport.topics("syncparty");
  const net = ctx.cluster
    ? new PartyCluster({
        port: clusterPort(ctx.cluster),
        local,
        clock,
        log: ctx.log,
        fault: (err, conn) => transport.reportFault("syncparty", err, { conn: conn.id }),
        // Frames waiting for a room's node are bounded like the rate queue (never below a small floor).
        maxHeld: Math.max(config.rateQueue, 100),
        maxHeldBytes: Math.max(config.rateQueueBytes, 1024 * 1024),
      })
    : null;
  const rooms = new PartyRooms({
    clock,
    topics: net ? net.topics() : local,
    graceMs: config.roomGraceMs,
    maxParticipants: config.roomMaxParticipants,
    maxRooms: config.maxRooms,
    roomsPerConn: config.roomsPerConn,
    newRoomId: randomRoomId,
    newResumeToken: randomResumeToken,
    onDrop: net ? (id) => net.dropped(id) : undefined,
  });
  const auth = new JwtAuth({ secret: config.jwtSecret, audience: config.jwtAudience, issuer: config.jwtIssuer, clock });
  const counters = ctx.metrics.protocol("syncparty");
  const dispatch = new PartyDispatch({ rooms, auth, clock, maxOptionsBytes: config.roomOptionsBytes, onErrorReply: () => void counters.errors++, claims: net?.claims });
  net?.attach(rooms, dispatch);
  const proxy = net?.proxy;
  const ep = transport.endpoint<Viewer, void>({
    protocol: "syncparty",
    open: (conn) => (proxy ? proxy.open(conn) : dispatch.open(conn)),
    // JSON is text; a binary frame is read as UTF-8 so clients that send bytes are answered too.
    message: (conn, data) => {
      const text = typeof data === "string" ? data : decoder.decode(data);
      if (proxy) proxy.message(conn.state as Proxied, text);
      else dispatch.message(conn.state, text);
    },
    close: (conn) => (proxy ? proxy.close(conn.state as Proxied) : dispatch.close(conn.state)),
    rateLimited: (conn) => dispatch.rateLimited(conn.state),
  });
  ctx.metrics.gauge("switchboard_syncparty_rooms", "Watch-party rooms held by this node, including empty ones in their grace period.", () => rooms.count);
  ctx.metrics.gauge("switchboard_syncparty_participants", "Watch-party participants seated in a room held by this node.", () => rooms.participantCount);

  return {
    name: "syncparty",
    routes: (app) =>
      app.get(SYNCPARTY_PATH, ({ request, server }) =>
        ep.accept(request, server, undefined),
      ),
    stop: () => (net ? net.stop().then(() => rooms.dispose()) : rooms.dispose()),
    status: partyStatus(rooms, clock),
  };
};
