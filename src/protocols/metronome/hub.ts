// Metronome state and rules (PROTOCOLS.md §1): client ids, groups, owner-only control, the beat
// grid, late join, dissolve. Pure: an injected Clock and a tiny Peer interface, no sockets.
import type { Clock, Conn } from "../../transport/types.ts";
import { ClockSync, type Exchange } from "./clock-sync.ts";
import { joinBeat, retempo, startGrid, type Grid } from "./grid.ts";
import { encodeRequest } from "./jsonrpc.ts";
import { MemoryGroups, SequentialIds, type Group, type GroupRegistry, type IdAllocator } from "./registry.ts";

/** The part of a connection the hub needs. */
export type Peer = Pick<Conn, "id" | "send">;

/** The seed's result shape for domain outcomes. */
export type Reply = { status: "success"; [k: string]: unknown } | { status: "error"; message: string };
export interface HubOutcome {
  result: Reply;
  /** Server requests to send once the reply itself has gone out ("success, then play_sound"). */
  after?: () => void;
}

// The contract's exact messages (PROTOCOLS.md §1).
export const Msg = {
  noId: "call get_id first",
  noGroup: "group is not exist",
  notOwner: "only the group owner can control the metronome",
} as const;

const ok = (extra: Record<string, unknown> = {}, after?: () => void): HubOutcome => ({ result: { status: "success", ...extra }, after });
const fail = (message: string): HubOutcome => ({ result: { status: "error", message } });

/** One connection's metronome state. */
export class Session {
  clientId: number | null = null;
  /** The one group this client belongs to besides its own (PROTOCOLS.md §1 subscribe_to_group). */
  joined: Group<Session> | null = null;
  readonly clock = new ClockSync();
  /** Server request ids are unique per connection: a counter per connection. */
  private lastRequestId = 0;
  /**
   * Per group this client is hearing (its own and the joined one): the grid it was last sent
   * play_sound for and the clock offset that start_ts used. update_temp reuses that offset, so its
   * start_ts lands exactly on the grid the phone is playing (PROTOCOLS.md §1: "phase continuous"),
   * even if the estimate moved meanwhile.
   */
  private readonly playing = new Map<Group<Session>, { grid: Grid; offset: number }>();

  constructor(readonly peer: Peer) {}

  /** Send a server → client request. Each member gets its own frame (own id K, own clock). */
  request(method: string, paramsJson: string): void {
    this.peer.send(encodeRequest(method, paramsJson, ++this.lastRequestId));
  }

  /**
   * play_sound for a server-time beat of `grid`, converted to this client's clock. `from`: the grid
   * that `grid` continues (update_temp); if this client was playing it, its offset is kept, else
   * (start, join, resync) the current estimate is taken.
   */
  playSound(g: Group<Session>, beat: number, grid: Grid, from?: Grid): void {
    const heard = this.playing.get(g);
    const offset = from && heard?.grid === from ? heard.offset : this.clock.offset;
    this.playing.set(g, { grid, offset });
    this.request("play_sound", `{"start_ts":${this.clock.toClient(beat, offset)},"bpm":${grid.bpm}}`);
  }

  stopSound(g: Group<Session>): void {
    this.playing.delete(g);
    this.request("stop_sound", "null");
  }

  /** No longer hearing g (moved away from it). */
  leave(g: Group<Session>): void {
    this.playing.delete(g);
  }
}

export interface HubOptions {
  clock: Clock;
  /** How far ahead of now a start's first beat is scheduled (config metronomeLeadMs). */
  leadMs: number;
  ids?: IdAllocator;
  groups?: GroupRegistry<Session>;
}

export class MetronomeHub {
  readonly groups: GroupRegistry<Session>;
  private readonly ids: IdAllocator;
  private readonly clock: Clock;
  private readonly leadMs: number;

  constructor(opts: HubOptions) {
    this.clock = opts.clock;
    this.leadMs = opts.leadMs;
    this.ids = opts.ids ?? new SequentialIds();
    this.groups = opts.groups ?? new MemoryGroups<Session>();
  }

  connect(peer: Peer): Session {
    return new Session(peer);
  }

  /** A closed connection: leave the joined group; an owner's group is dissolved (§1). */
  disconnect(s: Session): void {
    s.joined?.members.delete(s);
    s.joined = null;
    const own = s.clientId === null ? undefined : this.groups.get(s.clientId);
    if (own && own.owner === s) this.dissolve(own);
  }

  private dissolve(g: Group<Session>): void {
    this.groups.remove(g.id);
    for (const m of g.members) {
      if (m === g.owner) continue;
      m.joined = null;
      if (g.grid) m.stopSound(g);
    }
  }

  /** A one-way clock sample (time_utc, current_client_ts) received now. */
  sample(s: Session, clientTs: number): void {
    s.clock.oneWaySample(clientTs, this.clock.now());
  }

  getId(s: Session): HubOutcome {
    // Calling it again on the same connection returns the same id.
    s.clientId ??= this.ids.next();
    return ok({ client_id: s.clientId });
  }

  createGroup(s: Session): HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    // Idempotent: client_id === group_id, so there is only ever one group to create.
    if (!this.groups.get(s.clientId)) this.groups.add({ id: s.clientId, owner: s, members: new Set([s]), grid: null, bpm: null });
    return ok({ group_id: s.clientId });
  }

  subscribe(s: Session, groupId: number): HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    const g = this.groups.get(groupId);
    if (!g) return fail(Msg.noGroup);
    const old = s.joined;
    const moved = g.owner !== s && old !== g;
    if (moved && old) {
      old.members.delete(s);
      s.leave(old);
    }
    if (moved) {
      g.members.add(s);
      s.joined = g;
    }
    const grid = g.grid;
    const leftPlaying = moved && old?.grid != null;
    return ok({}, () => {
      // Leaving a playing group for a silent one: stop the old clicks.
      if (leftPlaying && old && !grid) s.stopSound(old);
      // Joining (or re-subscribing to) a playing group: the running grid at once, so it joins in phase.
      if (grid) s.playSound(g, joinBeat(grid, this.clock.now()), grid);
    });
  }

  /** Owner-only control: the group, or the contract's error. */
  private owned(s: Session, groupId: number): Group<Session> | HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    const g = this.groups.get(groupId);
    if (!g) return fail(Msg.noGroup);
    if (g.owner !== s) return fail(Msg.notOwner);
    return g;
  }

  start(s: Session, groupId: number, bpm: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    // A start while playing restarts: a fresh grid lead_ms ahead.
    const grid = startGrid(this.clock.now(), this.leadMs, bpm);
    g.grid = grid;
    g.bpm = bpm;
    return ok({}, broadcastPlay(g, grid));
  }

  updateTempo(s: Session, groupId: number, bpm: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    g.bpm = bpm;
    if (!g.grid) return ok(); // stopped: only store the tempo
    const old = g.grid;
    const grid = retempo(old, this.clock.now(), bpm);
    g.grid = grid;
    return ok({}, broadcastPlay(g, grid, old));
  }

  stop(s: Session, groupId: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    g.grid = null;
    // Sent even when already stopped (PROTOCOLS.md §1 does not qualify it): stop_sound is idempotent
    // and brings a phone that missed a frame back in line.
    const members = [...g.members];
    return ok({}, () => {
      for (const m of members) m.stopSound(g);
    });
  }

  /** sync_time (PROTOCOLS.md §1 "Clock" extension): NTP-style timestamps, and learn from `previous`. */
  syncTime(s: Session, clientTs: number, previous: Exchange | null | undefined): HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    const recv = this.clock.now();
    s.clock.oneWaySample(clientTs, recv);
    if (previous) s.clock.exchange(previous);
    return ok({ client_ts: clientTs, server_recv_ts: recv, server_send_ts: this.clock.now() });
  }
}

const isGroup = (g: Group<Session> | HubOutcome): g is Group<Session> => "members" in g;

/**
 * play_sound to every member of a group for the grid's anchor beat (`from`: the grid it continues).
 * Not one topic publish: each member's frame differs in start_ts (its own clock) and in the request
 * id K (its own counter).
 */
function broadcastPlay(g: Group<Session>, grid: Grid, from?: Grid): () => void {
  const members = [...g.members];
  return () => {
    for (const m of members) m.playSound(g, grid.anchor, grid, from);
  };
}
