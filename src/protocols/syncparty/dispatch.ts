// Watch-party dispatch: each socket's binding to its client id, decoded messages routed to the
// room rules, admission (tokens, invites, private rooms), and in-order handling around async token
// checks. Pure: no sockets, no Elysia; the plugin feeds it text frames and socket events.
import type { Clock, Conn } from "../../transport/types.ts";
import type { Login, TokenAuth } from "./auth.ts";
import { decode, encode, encodeError, type ClientMessage } from "./codec.ts";
import { fail, isFail, type Fail } from "./errors.ts";
import type { CreateArgs, PartyRooms } from "./state.ts";
import { RATE_LIMITED_TEXT } from "../../transport/rate.ts";

/** One socket's watch-party state (conn.state). */
export interface Viewer {
  conn: Conn<Viewer>;
  /** Bound by the first successful create/join (docs/syncparty.md#binding); later envelopes must match. */
  client: string | null;
  closed: boolean;
  /** A token check is pending: frames wait here so one connection's messages stay in order. */
  queue: string[] | null;
  /** Several nodes: the room this socket sits in on another node (docs/cluster.md#watch-party). */
  away: { room: string; node: string } | null;
}

/**
 * Several nodes (docs/cluster.md#watch-party): a room id is claimed in the cluster's directory
 * before a room is made here. "cut": this node could not ask (the socket has been closed).
 */
export interface RoomClaims {
  claim(conn: Conn, roomId: string): Promise<"claimed" | "taken" | "cut">;
  release(roomId: string): void;
}

export interface PartyDispatchDeps {
  rooms: PartyRooms;
  auth: TokenAuth;
  clock: Clock;
  /** The largest `options` object a room may have, as JSON bytes (docs/syncparty.md#limits). */
  maxOptionsBytes: number;
  /** An error reply was sent (the errors counter of /metrics). */
  onErrorReply?(): void;
  /** Several nodes only. */
  claims?: RoomClaims;
}

const DEFAULT_INVITE_S = 3600;

type Entry = Extract<ClientMessage, { type: "create_room" | "join_room" }>;
/** Admission's verdict: refused, or admitted as this client id. */
type Admitted = Fail | { client: string };
type Check = Promise<Admitted> | Admitted;
const needClient = () => fail("bad_request", "client is required");

export class PartyDispatch {
  constructor(private readonly deps: PartyDispatchDeps) {}

  /** A new socket's state. */
  open(conn: Conn<Viewer>): Viewer {
    return { conn, client: null, closed: false, queue: null, away: null };
  }

  /** Socket closed: leave the room; a pending check finds `closed` set and admits nobody. */
  close(v: Viewer): void {
    v.closed = true;
    this.deps.rooms.leave(v.conn);
  }

  /** One text frame. Frames that arrive while a token check is pending are handled after it. */
  message(v: Viewer, text: string): void {
    if (v.queue) v.queue.push(text);
    else this.run(v, text);
  }

  /** The error envelope for a frame refused by the seam's rate limit. */
  rateLimited(v: Viewer): string {
    return encodeError(fail("rate_limited", RATE_LIMITED_TEXT), this.roomIdOf(v), v.client, this.deps.clock.now());
  }

  /** The room this socket sits in, here or on another node. */
  roomIdOf(v: Viewer): string | null {
    return this.deps.rooms.roomOf(v.conn)?.id ?? v.away?.room ?? null;
  }

  private run(v: Viewer, text: string): void {
    const pending = this.process(v, text);
    // A failure after the await is a bug: the seam logs it and closes the socket with 1011.
    if (pending) v.conn.watch(pending);
  }

  /**
   * One frame, with none waiting before it. Returns a promise only when it had to wait; frames
   * given to message() meanwhile are handled before it resolves. The caller watches it.
   */
  process(v: Viewer, text: string): Promise<void> | void {
    const pending = this.handle(v, text);
    if (!pending) return;
    v.queue = [];
    return pending.then(() => this.drain(v));
  }

  /** A check is over: handle the frames that waited, in order, until one starts another check. */
  private drain(v: Viewer): void {
    const waiting = v.queue ?? [];
    v.queue = null;
    while (waiting.length > 0 && !v.closed) {
      this.run(v, waiting.shift()!);
      const again = v.queue as string[] | null; // run() may have started another check
      if (again) return void again.push(...waiting);
    }
  }

  /** Handle one frame; returns a promise only when it had to wait for a token check. */
  private handle(p: Viewer, text: string): Promise<void> | void {
    const now = this.deps.clock.now();
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
        return p.conn.send(encode("pong", m.room ?? this.roomIdOf(p), client, { client_ts: m.payload.client_ts }, now, now));
      case "create_room":
      case "join_room":
        return this.enter(p, m, client);
      case "leave_room": {
        // Naming a room the socket is not in must not make it leave the one it is in.
        const room = this.deps.rooms.roomOf(p.conn);
        if (!room || (m.room !== null && m.room !== room.id)) return this.reply(p, fail("bad_request", `not in room ${m.room ?? ""}`.trim()), m.room, client);
        this.deps.rooms.leave(p.conn);
        return;
      }
      case "player_event":
      case "state_update":
      case "create_invite": {
        const room = this.deps.rooms.roomOf(p.conn);
        if (!room || (m.room !== null && m.room !== room.id)) return this.reply(p, this.outsider(m.type, m.room), m.room, client);
        if (m.type !== "create_invite") {
          const f = this.deps.rooms.control(p.conn, m, m.ts);
          return f ? this.reply(p, f, room.id, client) : undefined;
        }
        if (!this.deps.rooms.isHost(p.conn)) return this.reply(p, fail("not_host", "only the host can create invites"), room.id, client);
        return this.deps.auth.signInvite(room.id, m.payload.expires_in ?? DEFAULT_INVITE_S).then(({ token, expiresAt }) => {
          const t = this.deps.clock.now();
          p.conn.send(encode("invite_created", room.id, client, { invite_token: token, expires_at: expiresAt }, t, t));
        });
      }
    }
  }

  /**
   * Control or create_invite aimed at a room this socket is not seated in. Only the host (or
   * anyone, with free_play) may control a room (docs/syncparty.md#playback-control), so an outsider
   * naming a room is not_host; in a free_play room it is forbidden (not a participant); an unknown
   * room is room_missing; no room named and none joined is bad_request.
   */
  private outsider(type: "player_event" | "state_update" | "create_invite", roomId: string | null): Fail {
    if (roomId === null) return fail("bad_request", "join a room first");
    const r = this.deps.rooms.get(roomId);
    if (!r) return fail("room_missing", `room ${roomId} does not exist`);
    if (type !== "create_invite" && r.options.free_play === true) return fail("forbidden", `this connection is not a participant of room ${roomId}`);
    return fail("not_host", `this connection is not the host of room ${roomId}`);
  }

  /**
   * create_room / join_room: admission first (maybe async), which decides the client id (the
   * envelope's, or the auth token's sub), then the room rules (seats, resume tokens).
   */
  private enter(p: Viewer, m: Entry, client: string | null): Promise<void> | void {
    if (m.type === "join_room" && m.room === null) return this.reply(p, fail("bad_request", "room is required"), null, client);
    const check = m.type === "create_room" ? this.admitCreate(m, client) : this.admitJoin(p, m, m.room!, client);
    const finish = (a: Admitted): Promise<void> | void => {
      if (p.closed) return; // closed while a check was pending: must not end up in a room
      if (isFail(a)) return this.reply(p, a, m.room, client);
      const seated = (f: Fail | null) => {
        if (f) this.reply(p, f, m.room, a.client);
        else p.client = a.client;
      };
      const f = this.seat(p, m, a.client);
      if (f instanceof Promise) return f.then(seated);
      seated(f);
    };
    if (check instanceof Promise) return check.then(finish);
    return finish(check);
  }

  private seat(p: Viewer, m: Entry, client: string): Fail | null | Promise<Fail | null> {
    const rooms = this.deps.rooms;
    if (m.type === "join_room") return rooms.join(p.conn, m.room!, client, m.payload.name ?? client, m.payload.resume_token ?? null);
    const o = m.payload;
    const size = o.options ? Buffer.byteLength(JSON.stringify(o.options)) : 0;
    if (size > this.deps.maxOptionsBytes) return fail("bad_request", `options is ${size} bytes as JSON (at most ${this.deps.maxOptionsBytes})`);
    // Options are stored and echoed exactly as sent; only `true` turns free_play/private on.
    const args = { room: m.room, clientId: client, name: o.name ?? client, mediaUrl: o.media_url ?? "", startPos: o.start_pos ?? 0, options: o.options ?? {}, resumeToken: o.resume_token ?? null };
    const claims = this.deps.claims;
    if (!claims || (m.room !== null && rooms.get(m.room))) return rooms.create(p.conn, args);
    return rooms.refuseCreate(p.conn) ?? this.claimAndCreate(p, claims, args, 3);
  }

  /**
   * Several nodes: a new room's id is claimed cluster-wide first, so the same id made on another
   * node is room_exists (docs/cluster.md#watch-party). A server-made id that happens to be taken
   * elsewhere is drawn again.
   */
  private async claimAndCreate(p: Viewer, claims: RoomClaims, args: CreateArgs, tries: number): Promise<Fail | null> {
    const id = args.room ?? this.deps.rooms.freshId();
    const got = await claims.claim(p.conn, id);
    if (got === "cut") return null;
    if (got === "taken") return args.room === null && tries > 1 ? this.claimAndCreate(p, claims, args, tries - 1) : fail("room_exists", `room ${id} already exists`);
    const f = p.closed ? null : this.deps.rooms.create(p.conn, { ...args, room: id });
    // Closed meanwhile, or refused: give the id up, unless a room here has it.
    if ((p.closed || f) && !this.deps.rooms.get(id)) claims.release(id);
    return f;
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
    if (!this.deps.auth.required) return client === null ? needClient() : { client };
    const token = m.payload.auth_token;
    if (!token) return fail("auth_required", "create_room needs an auth_token");
    return this.deps.auth.verifyAuth(token).then((v) => (isFail(v) ? v : this.asSub(v, client)));
  }

  /**
   * join_room admission (docs/syncparty.md#admission). A private room needs a valid
   * invite for it, unless the join resumes a seat (its resume token). With a secret: a valid
   * auth token (its sub is the client id) or a valid invite (the envelope id), whichever is
   * given. Neither a secret nor a private room: open. Without a secret an unknown room is
   * room_missing at once; with one, token errors come first so unauthenticated clients learn
   * nothing about which rooms exist. Whether a bound id may be taken is the room's rule.
   */
  private admitJoin(p: Viewer, m: Extract<Entry, { type: "join_room" }>, roomId: string, client: string | null): Check {
    const o = m.payload;
    const auth = this.deps.auth;
    // Judged when the id is known (after a token check): the room may have changed meanwhile.
    const needsInvite = (id: string) => {
      const r = this.deps.rooms.get(roomId);
      return r !== undefined && r.options.private === true && !this.deps.rooms.resumes(p.conn, r, id, o.resume_token);
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

  private reply(p: Viewer, f: Fail, room: string | null, client: string | null): void {
    this.deps.onErrorReply?.();
    p.conn.send(encodeError(f, room ?? this.roomIdOf(p), client, this.deps.clock.now()));
  }
}
