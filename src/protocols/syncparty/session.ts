// Watch-party sessions: per-socket binding of the client id, dispatch of decoded messages,
// admission (tokens, invites, private rooms) and in-order handling around async token checks.
// Pure: no sockets, no Elysia; the plugin feeds it text frames and socket events.
import type { Clock, Conn } from "../../transport/types.ts";
import type { Login, TokenAuth } from "./auth.ts";
import { decode, encode, encodeError, fail, isFail, type ClientMessage, type Fail } from "./codec.ts";
import type { Rooms } from "./rooms.ts";

interface Peer {
  conn: Conn;
  /** Bound by the first successful create/join (PROTOCOLS.md §2); later envelopes must match. */
  client: string | null;
  closed: boolean;
  /** A token check is pending: frames wait here so one connection's messages stay in order. */
  queue: string[] | null;
}

export interface SessionsDeps {
  rooms: Rooms;
  auth: TokenAuth;
  clock: Clock;
  /** A handler failed after an await (a bug): the plugin logs it and closes the socket with 1011. */
  onAsyncError(conn: Conn, err: unknown): void;
  /** An error reply was sent (the errors counter of /metrics). */
  onErrorReply?(): void;
}

const DEFAULT_INVITE_S = 3600;

type Entry = Extract<ClientMessage, { type: "create_room" | "join_room" }>;
/** Admission's verdict: refused, or admitted as this client id. */
type Admitted = Fail | { client: string };
type Check = Promise<Admitted> | Admitted;
const needClient = () => fail("bad_request", "client is required");

export class Sessions {
  private readonly peers = new Map<number, Peer>();
  constructor(private readonly d: SessionsDeps) {}

  open(conn: Conn): void {
    this.peers.set(conn.id, { conn, client: null, closed: false, queue: null });
  }

  /** Socket closed: leave the room; a pending check finds `closed` set and admits nobody. */
  close(conn: Conn): void {
    const p = this.peers.get(conn.id);
    if (p) p.closed = true;
    this.peers.delete(conn.id);
    this.d.rooms.leave(conn);
  }

  /** One text frame. Frames that arrive while a token check is pending are handled after it. */
  message(conn: Conn, text: string): void {
    const p = this.peers.get(conn.id);
    if (!p) return;
    if (p.queue) p.queue.push(text);
    else this.run(p, text);
  }

  /** The error envelope for a frame refused by the transport's rate limit. */
  rateLimited(conn: Conn): string {
    const p = this.peers.get(conn.id);
    return encodeError(fail("rate_limited", "too many messages; slow down"), this.d.rooms.roomOf(conn)?.id ?? null, p?.client ?? null, this.d.clock.now());
  }

  private run(p: Peer, text: string): void {
    const pending = this.handle(p, text);
    if (!pending) return;
    p.queue = [];
    pending.then(
      () => this.drain(p),
      (err) => {
        if (!p.closed) this.d.onAsyncError(p.conn, err);
        this.drain(p);
      },
    );
  }

  /** A check is over: handle the frames that waited, in order, until one starts another check. */
  private drain(p: Peer): void {
    const waiting = p.queue ?? [];
    p.queue = null;
    while (waiting.length > 0 && !p.closed) {
      try {
        this.run(p, waiting.shift()!);
      } catch (err) {
        // Same as a synchronous handler error in the transport: a bug, close with 1011.
        this.d.onAsyncError(p.conn, err);
        return;
      }
      const again = p.queue as string[] | null; // run() may have started another check
      if (again) return void again.push(...waiting);
    }
  }

  /** Handle one frame; returns a promise only when it had to wait for a token check. */
  private handle(p: Peer, text: string): Promise<void> | void {
    const now = this.d.clock.now();
    const d = decode(text);
    if (!d.ok) return this.reply(p, d.fail, d.room, p.client ?? d.client);
    const m = d.msg;
    // Spoofing: once bound, a socket speaks only for its own client id.
    if (p.client !== null && m.client !== null && m.client !== p.client) {
      return this.reply(p, fail("bad_request", `this connection is bound to client ${p.client}`), m.room, p.client);
    }
    const client = p.client ?? m.client;
    switch (m.type) {
      case "ping":
        return p.conn.send(encode("pong", m.room ?? this.d.rooms.roomOf(p.conn)?.id ?? null, client, { client_ts: m.payload.client_ts }, now, now));
      case "create_room":
      case "join_room":
        return this.enter(p, m, client);
      case "leave_room": {
        // Naming a room the socket is not in must not make it leave the one it is in.
        const room = this.d.rooms.roomOf(p.conn);
        if (!room || (m.room !== null && m.room !== room.id)) return this.reply(p, fail("bad_request", `not in room ${m.room ?? ""}`.trim()), m.room, client);
        this.d.rooms.leave(p.conn);
        return;
      }
      case "player_event":
      case "state_update":
      case "create_invite": {
        const room = this.d.rooms.roomOf(p.conn);
        if (!room || (m.room !== null && m.room !== room.id)) return this.reply(p, this.outsider(m.type, m.room), m.room, client);
        if (m.type !== "create_invite") {
          const f = this.d.rooms.control(p.conn, m, m.ts);
          return f ? this.reply(p, f, room.id, client) : undefined;
        }
        if (!this.d.rooms.isHost(p.conn)) return this.reply(p, fail("not_host", "only the host can create invites"), room.id, client);
        return this.d.auth.signInvite(room.id, m.payload.expires_in ?? DEFAULT_INVITE_S).then(({ token, expiresAt }) => {
          const t = this.d.clock.now();
          p.conn.send(encode("invite_created", room.id, client, { invite_token: token, expires_at: expiresAt }, t, t));
        });
      }
    }
  }

  /**
   * Control or create_invite aimed at a room this socket is not seated in. PROTOCOLS.md §2 lets
   * only the host (or anyone, with free_play) control a room, so an outsider naming a room is
   * not_host; in a free_play room it is forbidden (not a participant); an unknown room is
   * room_missing; no room named and none joined is bad_request.
   */
  private outsider(type: "player_event" | "state_update" | "create_invite", roomId: string | null): Fail {
    if (roomId === null) return fail("bad_request", "join a room first");
    const r = this.d.rooms.get(roomId);
    if (!r) return fail("room_missing", `room ${roomId} does not exist`);
    if (type !== "create_invite" && r.options.free_play === true) return fail("forbidden", `this connection is not a participant of room ${roomId}`);
    return fail("not_host", `this connection is not the host of room ${roomId}`);
  }

  /**
   * create_room / join_room: admission first (maybe async), which decides the client id (the
   * envelope's, or the auth token's sub), then the room rules (seats, resume tokens).
   */
  private enter(p: Peer, m: Entry, client: string | null): Promise<void> | void {
    if (m.type === "join_room" && m.room === null) return this.reply(p, fail("bad_request", "room is required"), null, client);
    const check = m.type === "create_room" ? this.admitCreate(m, client) : this.admitJoin(p, m, m.room!, client);
    const finish = (a: Admitted) => {
      if (p.closed) return; // closed while a check was pending: must not end up in a room
      if (isFail(a)) return this.reply(p, a, m.room, client);
      const f = this.seat(p, m, a.client);
      if (f) this.reply(p, f, m.room, a.client);
      else p.client = a.client;
    };
    if (check instanceof Promise) return check.then(finish);
    finish(check);
  }

  private seat(p: Peer, m: Entry, client: string): Fail | null {
    const rooms = this.d.rooms;
    if (m.type === "join_room") return rooms.join(p.conn, m.room!, client, m.payload.name ?? client, m.payload.resume_token ?? null);
    const o = m.payload;
    // Options are stored and echoed exactly as sent; only `true` turns free_play/private on.
    return rooms.create(p.conn, { room: m.room, clientId: client, name: o.name ?? client, mediaUrl: o.media_url ?? "", startPos: o.start_pos ?? 0, options: o.options ?? {}, resumeToken: o.resume_token ?? null });
  }

  /**
   * With a secret, the auth token's sub is the client id (docs/syncparty.md#authentication-and-invites):
   * an envelope client that names another id is bad_request; an absent one is the sub.
   */
  private asSub(login: Login, client: string | null): Admitted {
    if (client !== null && client !== login.sub) return fail("bad_request", `client ${client} is not the auth_token's sub`);
    return { client: login.sub };
  }

  /** create_room needs a valid auth token only when a secret is configured. */
  private admitCreate(m: Extract<Entry, { type: "create_room" }>, client: string | null): Check {
    if (!this.d.auth.required) return client === null ? needClient() : { client };
    const token = m.payload.auth_token;
    if (!token) return fail("auth_required", "create_room needs an auth_token");
    return this.d.auth.verifyAuth(token).then((v) => (isFail(v) ? v : this.asSub(v, client)));
  }

  /**
   * join_room admission (docs/syncparty.md, admission table). A private room needs a valid
   * invite for it, unless the join resumes a seat (its resume token). With a secret: a valid
   * auth token (its sub is the client id) or a valid invite (the envelope id), whichever is
   * given. Neither a secret nor a private room: open. Without a secret an unknown room is
   * room_missing at once; with one, token errors come first so unauthenticated clients learn
   * nothing about which rooms exist. Whether a bound id may be taken is the room's rule.
   */
  private admitJoin(p: Peer, m: Extract<Entry, { type: "join_room" }>, roomId: string, client: string | null): Check {
    const o = m.payload;
    const auth = this.d.auth;
    // Judged when the id is known (after a token check): the room may have changed meanwhile.
    const needsInvite = (id: string) => {
      const r = this.d.rooms.get(roomId);
      return r !== undefined && r.options.private === true && !this.d.rooms.resumes(p.conn, r, id, o.resume_token);
    };
    const byInvite = (id: string): Check => {
      if (!o.invite_token) return fail("invite_required", `room ${roomId} is private: join with an invite_token`);
      return auth.verifyInvite(o.invite_token, roomId).then((f) => f ?? { client: id });
    };
    if (!auth.required) {
      if (client === null) return needClient();
      return needsInvite(client) ? byInvite(client) : { client }; // the room rules report room_missing
    }
    if (!o.auth_token && !o.invite_token) return fail("auth_required", "join_room needs an auth_token or an invite_token");
    const inviteOnly = (): Check => (client === null ? needClient() : byInvite(client));
    if (!o.auth_token) return inviteOnly();
    // Both given: "a valid auth_token or an invite_token", so a valid login admits even beside a
    // stale invite link; when both fail, the invite's error is reported.
    return auth.verifyAuth(o.auth_token).then((v) => {
      if (isFail(v)) return o.invite_token ? inviteOnly() : v;
      const who = this.asSub(v, client);
      return isFail(who) || !needsInvite(who.client) ? who : byInvite(who.client);
    });
  }

  private reply(p: Peer, f: Fail, room: string | null, client: string | null): void {
    this.d.onErrorReply?.();
    p.conn.send(encodeError(f, room ?? this.d.rooms.roomOf(p.conn)?.id ?? null, client, this.d.clock.now()));
  }
}
