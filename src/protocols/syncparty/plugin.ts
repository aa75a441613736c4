// Watch-party wiring (docs/syncparty.md): the /OpenSyncParty/ws route, socket events → the
// dispatch, one Bun topic per room, gauges. The only file of this protocol that knows sockets.
import type { ProtocolFactory } from "../types.ts";
import { JwtAuth } from "./auth.ts";
import { PartyDispatch, type Viewer } from "./dispatch.ts";
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
  const rooms = new PartyRooms({
    clock,
    topics: transport.topics("syncparty"),
    graceMs: config.roomGraceMs,
    maxParticipants: config.roomMaxParticipants,
    maxRooms: config.maxRooms,
    roomsPerConn: config.roomsPerConn,
    newRoomId: randomRoomId,
    newResumeToken: randomResumeToken,
  });
  const auth = new JwtAuth({ secret: config.jwtSecret, audience: config.jwtAudience, issuer: config.jwtIssuer, clock });
  const counters = ctx.metrics.protocol("syncparty");
  const dispatch = new PartyDispatch({ rooms, auth, clock, maxOptionsBytes: config.roomOptionsBytes, onErrorReply: () => void counters.errors++ });
  const ep = transport.endpoint<Viewer, void>({
    protocol: "syncparty",
    open: (conn) => dispatch.open(conn),
    // JSON is text; a binary frame is read as UTF-8 so clients that send bytes are answered too.
    message: (conn, data) => dispatch.message(conn.state, typeof data === "string" ? data : decoder.decode(data)),
    close: (conn) => dispatch.close(conn.state),
    rateLimited: (conn) => dispatch.rateLimited(conn.state),
  });
  ctx.metrics.gauge("switchboard_syncparty_rooms", "Watch-party rooms, including empty ones in their grace period.", () => rooms.count);
  ctx.metrics.gauge("switchboard_syncparty_participants", "Watch-party participants seated in a room.", () => rooms.participantCount);

  return {
    name: "syncparty",
    routes: (app) =>
      app.get(SYNCPARTY_PATH, ({ request, server }) =>
        ep.accept(request, server, undefined),
      ),
    stop: () => rooms.dispose(),
    status: partyStatus(rooms, clock),
  };
};
