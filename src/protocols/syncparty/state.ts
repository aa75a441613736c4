// Watch-party rooms (docs/syncparty.md#identity-and-seats): participants in join order, host, play
// state, grace period, seats and their resume tokens, host-only control. Pure: time comes from the
// injected Clock, sockets and fan-out from the Conn/Topics interfaces. Admission (tokens, invites)
// is decided before these methods are called; here only the room rules apply.
import { sameSecret } from "../../access/secret.ts";
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import { Close } from "../../transport/close-codes.ts";
import { encode, type PlayerEvent, type StateUpdate } from "./codec.ts";
import { fail, type Fail } from "./errors.ts";
import { participantsOf, round3, topicOf, type CreateArgs, type PartyRoomsDeps, type Room } from "./room.ts";

export { roomOfTopic, topicOf, type CreateArgs, type Participant, type PartyRoomsDeps, type Room } from "./room.ts";


export class PartyRooms {
  private readonly rooms = new Map<string, Room>();
  /** conn.id → where that socket sits. A replaced socket is no longer here, so its close is a no-op. */
  private readonly seats = new Map<number, { roomId: string; clientId: string }>();
  /** Rooms each connection created that still exist, by conn.id. */
  private readonly created = new Map<number, number>();

  constructor(private readonly deps: PartyRoomsDeps) {}

  get count(): number {
    return this.rooms.size;
  }
  get participantCount(): number {
    return this.seats.size;
  }
  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }
  /** Every room, in creation order (for the status feed). */
  all(): Iterable<Room> {
    return this.rooms.values();
  }
  /** The ids of every room held here, empty ones included. */
  ids(): string[] {
    return [...this.rooms.keys()];
  }
  /** An id no room here has. */
  freshId(): string {
    let id: string;
    do id = this.deps.newRoomId();
    while (this.rooms.has(id));
    return id;
  }
  /** The room this socket sits in, if any. */
  roomOf(conn: Conn): Room | undefined {
    const s = this.seats.get(conn.id);
    return s && this.rooms.get(s.roomId);
  }

  /**
   * Position now (docs/syncparty.md#room-state): while playing, the last reported position plus
   * the seconds since, rounded to the millisecond; while paused, exactly what was reported.
   */
  positionOf(r: Room): number {
    return r.playState === "playing" ? round3(r.position + (this.deps.clock.mono() - r.updatedAt) / 1000) : r.position;
  }

  /** The room_state payload (docs/syncparty.md#room-state), exactly these keys. */
  snapshot(r: Room): object {
    return {
      room: r.id,
      host_id: r.hostId,
      media_url: r.mediaUrl,
      options: r.options,
      state: { position: this.positionOf(r), play_state: r.playState },
      ...participantsOf(r),
    };
  }

  /**
   * create_room. An existing room is room_exists, except that the host it had when it emptied
   * may re-create it during the grace period: with its seat's resume token it gets the room back
   * as it was (without it: forbidden, as for join). A socket seated elsewhere leaves that room
   * first, once the new one is sure (see join).
   */
  create(conn: Conn, a: CreateArgs): Fail | null {
    const id = a.room ?? this.freshId();
    const existing = this.rooms.get(id);
    if (existing) {
      if (existing.participants.size === 0 && existing.hostId === a.clientId) return this.join(conn, id, a.clientId, a.name, a.resumeToken);
      return fail("room_exists", `room ${id} already exists`);
    }
    const capped = this.refuseCreate(conn);
    if (capped) return capped;
    const r: Room = {
      id,
      hostId: a.clientId,
      mediaUrl: a.mediaUrl,
      options: a.options,
      position: a.startPos,
      playState: "paused",
      updatedAt: this.deps.clock.mono(),
      participants: new Map(),
      cancelGrace: null,
      heldToken: null,
      creator: conn.id,
    };
    this.created.set(conn.id, (this.created.get(conn.id) ?? 0) + 1);
    this.leave(conn);
    this.rooms.set(id, r);
    this.seat(conn, r, a.clientId, a.name, this.deps.newResumeToken());
    this.sendRoomState(conn, r, a.clientId);
    return null;
  }

  /** The caps on making a room (docs/syncparty.md#limits): rooms in total, rooms per connection. */
  refuseCreate(conn: Conn): Fail | null {
    if (this.rooms.size >= this.deps.maxRooms) return fail("forbidden", `the server holds its maximum of ${this.deps.maxRooms} rooms; try again later`);
    const made = this.created.get(conn.id) ?? 0;
    if (made >= this.deps.roomsPerConn) return fail("forbidden", `this connection has created ${made} rooms that still exist (at most ${this.deps.roomsPerConn})`);
    return null;
  }

  /**
   * join_room. A client id bound in the room (seated, or the host holding it empty) is taken only
   * with that seat's resume token, else forbidden and nothing changes. With it, a seat on another
   * socket is replaced (that socket is closed with 4001) and keeps its join order, host role and
   * token. The same socket joining its own room again just gets room_state again. A socket seated
   * in another room moves: clients of the original protocol know no leave_room, so joining
   * elsewhere is how they switch rooms (docs/syncparty.md#one-room-per-socket). It leaves the old
   * room (the others there are told as for a close) only once the new room has accepted it.
   */
  join(conn: Conn, roomId: string, clientId: string, name: string, resumeToken: string | null): Fail | null {
    const r = this.rooms.get(roomId);
    if (!r) return fail("room_missing", `room ${roomId} does not exist`);
    const seat = this.seats.get(conn.id);
    if (seat && seat.roomId === roomId && seat.clientId === clientId) {
      this.sendRoomState(conn, r, clientId);
      return null;
    }
    if (this.isBound(r, clientId) && !sameSecret(resumeToken, this.tokenOf(r, clientId))) {
      return fail("forbidden", `client ${clientId} already has a seat in room ${roomId}: rejoin with its resume_token`);
    }
    const old = r.participants.get(clientId);
    if (!old && r.participants.size >= this.deps.maxParticipants) return fail("room_full", `room ${roomId} is full (${this.deps.maxParticipants} participants)`);
    if (seat) this.leave(conn);
    if (old) {
      this.seats.delete(old.conn.id);
      old.conn.unsubscribe(topicOf(r.id));
      old.conn.close(Close.replaced, "replaced by a newer connection");
      const renamed = old.name !== name;
      old.conn = conn;
      old.name = name;
      this.seats.set(conn.id, { roomId, clientId });
      conn.subscribe(topicOf(r.id));
      this.sendRoomState(conn, r, clientId);
      if (renamed) this.toOthers(conn, r, "participants_update", clientId, participantsOf(r));
      return null;
    }
    let token = this.deps.newResumeToken();
    if (r.participants.size === 0) {
      // Back from the grace period: the first one back is host (the old host keeps its seat's token).
      r.cancelGrace?.();
      r.cancelGrace = null;
      if (r.hostId === clientId && r.heldToken !== null) token = r.heldToken;
      r.heldToken = null;
      r.hostId = clientId;
    }
    this.seat(conn, r, clientId, name, token);
    this.sendRoomState(conn, r, clientId);
    this.toOthers(conn, r, "client_joined", clientId, { name });
    this.toOthers(conn, r, "participants_update", clientId, participantsOf(r));
    return null;
  }

  /**
   * Socket closed or leave_room. Others get client_left, participants_update and, if the host
   * left, host_change to the oldest remaining participant. Returns false if it was not seated.
   */
  leave(conn: Conn): boolean {
    const seat = this.seats.get(conn.id);
    if (!seat) return false;
    this.seats.delete(conn.id);
    const r = this.rooms.get(seat.roomId);
    if (!r) return false;
    const leaver = r.participants.get(seat.clientId);
    r.participants.delete(seat.clientId);
    conn.unsubscribe(topicOf(r.id));
    const oldest = r.participants.values().next().value;
    if (!oldest) {
      // The last one out is always the host (a host leaving others behind hands over first).
      r.heldToken = leaver?.resumeToken ?? null;
      this.startGrace(r);
      return true;
    }
    const hostLeft = r.hostId === seat.clientId;
    if (hostLeft) r.hostId = oldest.clientId;
    this.publish(r, "client_left", seat.clientId, {});
    this.publish(r, "participants_update", seat.clientId, participantsOf(r));
    if (hostLeft) this.publish(r, "host_change", r.hostId, { host_id: r.hostId });
    return true;
  }

  /** Bound in the room: seated now, or the host holding the empty room in its grace period. */
  isBound(r: Room, clientId: string): boolean {
    return r.participants.has(clientId) || (r.participants.size === 0 && r.hostId === clientId);
  }

  /** Does this join resume a seat (this socket is it, or it has its token)? Private rooms admit it without an invite. */
  resumes(conn: Conn, r: Room, clientId: string, resumeToken: string | null | undefined): boolean {
    const seat = this.seats.get(conn.id);
    if (seat && seat.roomId === r.id && seat.clientId === clientId) return true;
    return this.isBound(r, clientId) && sameSecret(resumeToken, this.tokenOf(r, clientId));
  }

  /** May this socket control playback? Host only, unless options.free_play (docs/syncparty.md#playback-control). */
  canControl(conn: Conn): Fail | null {
    const seat = this.seats.get(conn.id);
    const r = seat && this.rooms.get(seat.roomId);
    if (!seat || !r) return fail("bad_request", "join a room first");
    if (r.options.free_play === true || r.hostId === seat.clientId) return null;
    return fail("not_host", "only the host can control playback in this room");
  }

  /** Host only, whatever free_play says: inviting people is not playback control. */
  isHost(conn: Conn): boolean {
    const seat = this.seats.get(conn.id);
    return seat !== undefined && this.rooms.get(seat.roomId)?.hostId === seat.clientId;
  }

  /**
   * player_event / state_update from a socket that passed canControl: update the play state,
   * then relay the sender's envelope (client, room, ts, payload as sent) to every other socket.
   */
  control(conn: Conn, ev: { type: "player_event"; payload: PlayerEvent } | { type: "state_update"; payload: StateUpdate }, ts: number | null): Fail | null {
    const denied = this.canControl(conn);
    if (denied) return denied;
    const seat = this.seats.get(conn.id)!;
    const r = this.rooms.get(seat.roomId)!;
    if (ev.type === "player_event") {
      this.setPosition(r, ev.payload.position);
      if (ev.payload.action !== "seek") r.playState = ev.payload.action === "play" ? "playing" : "paused";
    } else {
      // A partial state_update changes only the fields it has (none, for {reported_latency}).
      // A play_state without a position keeps the position where it is now: while playing
      // that is the extrapolated one, so a pause freezes the video where it was.
      const { position, play_state } = ev.payload;
      if (position != null) this.setPosition(r, position);
      else if (play_state != null && play_state !== r.playState) this.setPosition(r, this.positionOf(r));
      if (play_state != null) r.playState = play_state;
    }
    const now = this.deps.clock.now();
    conn.publishOthers(topicOf(r.id), encode(ev.type, r.id, seat.clientId, ev.payload, ts ?? now, now));
    return null;
  }

  /** A reported position, and the moment it was reported (the base of extrapolation). */
  private setPosition(r: Room, position: number): void {
    r.position = position;
    r.updatedAt = this.deps.clock.mono();
  }

  /** Remove a room and its seats at once, telling nobody; returns its sockets (docs/cluster.md#watch-party). */
  remove(roomId: string): Conn[] {
    const r = this.rooms.get(roomId);
    if (!r) return [];
    r.cancelGrace?.();
    r.cancelGrace = null;
    const conns = [...r.participants.values()].map((p) => p.conn);
    for (const c of conns) {
      this.seats.delete(c.id);
      c.unsubscribe(topicOf(roomId));
    }
    r.participants.clear();
    this.drop(r);
    return conns;
  }

  /** Cancel every grace timer (server stopping). */
  dispose(): void {
    for (const r of this.rooms.values()) r.cancelGrace?.();
    this.rooms.clear();
    this.created.clear();
    this.seats.clear();
  }

  // ---- internals ----

  private tokenOf(r: Room, clientId: string): string | null {
    const p = r.participants.get(clientId);
    if (p) return p.resumeToken;
    return r.participants.size === 0 && r.hostId === clientId ? r.heldToken : null;
  }

  private seat(conn: Conn, r: Room, clientId: string, name: string, resumeToken: string): void {
    r.participants.set(clientId, { clientId, name, conn, resumeToken });
    this.seats.set(conn.id, { roomId: r.id, clientId });
    conn.subscribe(topicOf(r.id));
  }

  /** Forget a room: it no longer counts against its creator. */
  private drop(r: Room): void {
    this.rooms.delete(r.id);
    this.deps.onDrop?.(r.id);
    const n = (this.created.get(r.creator) ?? 1) - 1;
    if (n > 0) this.created.set(r.creator, n);
    else this.created.delete(r.creator);
  }

  private startGrace(r: Room): void {
    const remove = () => {
      if (this.rooms.get(r.id) === r && r.participants.size === 0) this.drop(r);
    };
    if (this.deps.graceMs <= 0) return remove();
    r.cancelGrace = this.deps.clock.setTimer(this.deps.graceMs, () => {
      r.cancelGrace = null;
      remove();
    });
  }


  /** room_state goes only to the seat's own socket, so it alone carries the seat's resume_token. */
  private sendRoomState(conn: Conn, r: Room, clientId: string): void {
    const now = this.deps.clock.now();
    const payload = { ...this.snapshot(r), resume_token: r.participants.get(clientId)!.resumeToken };
    conn.send(encode("room_state", r.id, clientId, payload, now, now));
  }

  private toOthers(conn: Conn, r: Room, type: string, clientId: string, payload: object): void {
    const now = this.deps.clock.now();
    conn.publishOthers(topicOf(r.id), encode(type, r.id, clientId, payload, now, now));
  }

  private publish(r: Room, type: string, clientId: string, payload: object): void {
    const now = this.deps.clock.now();
    this.deps.topics.publish(topicOf(r.id), encode(type, r.id, clientId, payload, now, now));
  }
}
