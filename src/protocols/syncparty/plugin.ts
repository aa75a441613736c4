// Watch-party wiring (PROTOCOLS.md §2): the /OpenSyncParty/ws route, socket events → Sessions,
// one Bun topic per room, gauges. The only file of this protocol that knows Elysia and sockets.
import type { Conn } from "../../transport/types.ts";
import { Close } from "../../transport/close-codes.ts";
import type { ProtocolFactory } from "../types.ts";
import { JwtAuth } from "./auth.ts";
import { Rooms } from "./rooms.ts";
import { Sessions } from "./session.ts";

export const SYNCPARTY_PATH = "/OpenSyncParty/ws";
const decoder = new TextDecoder();

/** 12 hex digits of randomness: short enough to read out, unguessable enough for a party. */
const randomRoomId = () => crypto.randomUUID().replace(/-/g, "").slice(0, 12);
/** A seat's resume token: 128 random bits as 32 hex digits (docs/syncparty.md#seats-and-resume-tokens). */
const randomResumeToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");

export const syncparty: ProtocolFactory = (ctx) => {
  const { config, clock, transport, log } = ctx;
  const rooms = new Rooms({
    clock,
    topics: transport.topics("syncparty"),
    graceMs: config.roomGraceMs,
    maxParticipants: config.roomMaxParticipants,
    newRoomId: randomRoomId,
    newResumeToken: randomResumeToken,
  });
  const auth = new JwtAuth({ secret: config.jwtSecret, audience: config.jwtAudience, issuer: config.jwtIssuer, clock });
  const ep = transport.endpoint<null>({
    protocol: "syncparty",
    open: (conn) => sessions.open(conn),
    // JSON is text; a binary frame is read as UTF-8 so clients that send bytes are answered too.
    message: (conn, data) => sessions.message(conn, typeof data === "string" ? data : decoder.decode(data)),
    close: (conn) => sessions.close(conn),
    rateLimited: (conn) => sessions.rateLimited(conn),
  });
  const sessions = new Sessions({
    rooms,
    auth,
    clock,
    // Same treatment as a synchronous handler error in the transport: count, log, close 1011.
    onAsyncError(conn: Conn, err: unknown) {
      ep.counters.errors++;
      log.error("handler error", { protocol: "syncparty", conn: conn.id, err: err as Error });
      conn.close(Close.internal, "internal error");
    },
    onErrorReply: () => void ep.counters.errors++,
  });
  ctx.metrics.gauge("switchboard_syncparty_rooms", "Watch-party rooms, including empty ones in their grace period.", () => rooms.count);
  ctx.metrics.gauge("switchboard_syncparty_participants", "Watch-party participants seated in a room.", () => rooms.participantCount);

  return {
    name: "syncparty",
    routes: (app) =>
      app.get(SYNCPARTY_PATH, ({ request, server }) =>
        ep.accept(request, server, null),
      ),
    stop: () => rooms.dispose(),
  };
};
