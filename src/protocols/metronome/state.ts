// Metronome state and rules (docs/metronome.md#methods): client ids, groups, owner-only control,
// the beat grid, late join, dissolve. Pure: an injected Clock, Topics and a tiny Peer interface, no
// sockets.
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import { ClockSync, type Exchange } from "./clock-sync.ts";
import { joinBeat, retempo, startGrid, type Grid } from "./grid.ts";
import { encodeRequest, requestHead } from "./codec.ts";
import { Msg } from "./errors.ts";
import { MemoryGroups, SequentialIds, type Group, type GroupRegistry, type IdAllocator } from "./registry.ts";


/** The original API's result shape for domain outcomes (docs/metronome.md#domain-errors). */
export type Reply = { status: "success"; [k: string]: unknown } | { status: "error"; message: string };
export interface HubOutcome {
  result: Reply;
  /** Server requests to send once the reply itself has gone out ("success, then play_sound"). */
  after?: () => void;
}


const ok = (extra: Record<string, unknown> = {}, after?: () => void): HubOutcome => ({ result: { status: "success", ...extra }, after });
const fail = (message: string): HubOutcome => ({ result: { status: "error", message } });

/** Every member of a group is subscribed to its topic, so a frame they all share is published once. */
export const groupTopic = (id: number): string => `metronome:${id}`;

/** A grid a client is hearing, and the clock offset its start_ts were computed with. */
interface Heard {
  readonly group: Group<MetronomeClient>;
  grid: Grid;
  offset: number;
}

/** One connection's metronome state. */
export class MetronomeClient {
  clientId: number | null = null;
  /** The one group this client belongs to besides its own (docs/metronome.md#subscribe_to_group). */
  joined: Group<MetronomeClient> | null = null;
  readonly clock = new ClockSync();
  /**
   * The grids this client is hearing, at most two (its own group's and the joined one's): the grid
   * it was last sent play_sound for and the clock offset that start_ts used. update_temp reuses
   * that offset, so its start_ts lands exactly on the grid the phone is playing (phase continuous:
   * docs/metronome.md#the-beat-grid), even if the estimate moved meanwhile. Two slots, not a map:
   * this is read for every member on every broadcast.
   */
  private heard: [Heard | null, Heard | null] = [null, null];
  /** Server request ids K are unique per connection (docs/metronome.md#server-requests): a counter per connection. */
  private lastRequestId = 0;
  /** Scratch for one fan-out: this member's value (start_ts) and K, so no arrays are built per broadcast. */
  outValue: number | string = 0;
  outK = 0;

  constructor(readonly conn: Conn<MetronomeClient>) {}

  /** The id K of the next server → client request to this connection. */
  nextRequestId(): number {
    return ++this.lastRequestId;
  }

  /**
   * This client's start_ts for a server-time beat of `grid`, and remember it as what the phone now
   * plays. `from`: the grid that `grid` continues (update_temp); if this client was playing it, its
   * offset is kept, else (start, join, resync) the current estimate is taken.
   */
  startTs(g: Group<MetronomeClient>, beat: number, grid: Grid, from?: Grid): number {
    const [a, b] = this.heard;
    let h = a?.group === g ? a : b?.group === g ? b : null;
    if (!h) {
      h = { group: g, grid, offset: this.clock.offset };
      this.heard[a ? 1 : 0] = h;
    } else if (!from || h.grid !== from) h.offset = this.clock.offset;
    h.grid = grid;
    return this.clock.toClient(beat, h.offset);
  }

  /** No longer hearing g (stopped, or moved away from it). */
  leave(g: Group<MetronomeClient>): void {
    const [a, b] = this.heard;
    if (a?.group === g) this.heard = [b, null];
    else if (b?.group === g) this.heard = [a, null];
  }
}

export interface HubOptions {
  clock: Clock;
  /** How far ahead of now a start's first beat is scheduled (config metronomeLeadMs). */
  leadMs: number;
  /** Fan-out of the frames every member of a group shares (stop_sound, play_sound on agreeing clocks). */
  topics: Topics;
  ids?: IdAllocator;
  groups?: GroupRegistry<MetronomeClient>;
}

export class MetronomeHub {
  readonly groups: GroupRegistry<MetronomeClient>;
  private readonly ids: IdAllocator;
  private readonly clock: Clock;
  private readonly leadMs: number;
  private readonly topics: Topics;

  constructor(opts: HubOptions) {
    this.clock = opts.clock;
    this.leadMs = opts.leadMs;
    this.topics = opts.topics;
    this.ids = opts.ids ?? new SequentialIds();
    this.groups = opts.groups ?? new MemoryGroups<MetronomeClient>();
  }

  connect(conn: Conn<MetronomeClient>): MetronomeClient {
    return new MetronomeClient(conn);
  }

  /** A closed connection: leave the joined group; an owner's group is dissolved (docs/metronome.md#groups-and-disconnects). */
  disconnect(s: MetronomeClient): void {
    if (s.joined) this.part(s, s.joined);
    s.joined = null;
    const own = s.clientId === null ? undefined : this.groups.get(s.clientId);
    if (own && own.owner === s) this.dissolve(own);
  }

  private dissolve(g: Group<MetronomeClient>): void {
    this.groups.remove(g.id);
    this.part(g.owner, g); // it is gone: the rest hear the stop
    if (g.grid) this.stopSound(g);
    for (const m of g.members) {
      m.joined = null;
      this.part(m, g);
    }
  }

  /** m leaves g's member set and topic. */
  private part(m: MetronomeClient, g: Group<MetronomeClient>): void {
    g.members.delete(m);
    m.leave(g);
    m.conn.unsubscribe(g.topic);
  }

  private join(m: MetronomeClient, g: Group<MetronomeClient>): void {
    g.members.add(m);
    m.conn.subscribe(g.topic);
  }

  /** stop_sound to every member of g. */
  private stopSound(g: Group<MetronomeClient>): void {
    for (const m of g.members) m.leave(g);
    this.fanOut(g, g.members, () => "null", "stop_sound");
  }

  /** play_sound for a server-time beat of `grid` to `to` (every member of g, or one late joiner). */
  private playSound(g: Group<MetronomeClient>, to: Iterable<MetronomeClient>, beat: number, grid: Grid, from?: Grid): void {
    const bpm = grid.bpm;
    this.fanOut(g, to, (m) => m.startTs(g, beat, grid, from), "play_sound", (t) => `{"start_ts":${t},"bpm":${bpm}}`);
  }

  /**
   * One server request to each of `to`. Each phone's frame is its own in principle: start_ts on its
   * own clock, K from its own counter. In a band they usually agree (phones that joined together,
   * clocks that agree with the server's or with each other), and then the one frame is published to
   * the group's topic instead of written to each socket; otherwise each phone gets the frame for its
   * (value, K).
   */
  private fanOut(g: Group<MetronomeClient>, to: Iterable<MetronomeClient>, valueOf: (m: MetronomeClient) => number | string, method: string, params: (v: number | string) => string = String): void {
    let first: MetronomeClient | null = null;
    let same = true;
    for (const m of to) {
      m.outValue = valueOf(m);
      m.outK = m.nextRequestId();
      if (!first) first = m;
      else if (m.outValue !== first.outValue || m.outK !== first.outK) same = false;
    }
    if (!first) return;
    const head = requestHead(method);
    if (same && to === g.members) {
      this.topics.publish(g.topic, `${head}${params(first.outValue)},"id":${first.outK}}`);
      return;
    }
    // One frame per phone; phones next to each other in the set with the same (start_ts, K) share
    // one. To the whole group (from the owner's handler) each is posted: one write per phone and
    // loop turn. A late joiner is answered from its own handler: sent.
    let v: number | string | null = null;
    let k = 0;
    let f = "";
    const toGroup = to === g.members;
    for (const m of to) {
      if (m.outValue !== v || m.outK !== k) f = `${head}${params((v = m.outValue))},"id":${(k = m.outK)}}`;
      if (toGroup) m.conn.post(f);
      else m.conn.send(f);
    }
  }

  /** A one-way clock sample (time_utc, current_client_ts) received now. */
  sample(s: MetronomeClient, clientTs: number): void {
    s.clock.oneWaySample(clientTs, this.clock.now());
  }

  getId(s: MetronomeClient): HubOutcome {
    // Calling it again on the same connection returns the same id.
    s.clientId ??= this.ids.next();
    return ok({ client_id: s.clientId });
  }

  createGroup(s: MetronomeClient): HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    // Idempotent: client_id === group_id, so there is only ever one group to create.
    if (!this.groups.get(s.clientId)) {
      const g: Group<MetronomeClient> = { id: s.clientId, topic: groupTopic(s.clientId), owner: s, members: new Set(), grid: null, bpm: null };
      this.groups.add(g);
      this.join(s, g);
    }
    return ok({ group_id: s.clientId });
  }

  subscribe(s: MetronomeClient, groupId: number): HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    const g = this.groups.get(groupId);
    if (!g) return fail(Msg.noGroup);
    const old = s.joined;
    const moved = g.owner !== s && old !== g;
    if (moved && old) this.part(s, old);
    if (moved) {
      this.join(s, g);
      s.joined = g;
    }
    const grid = g.grid;
    const leftPlaying = moved && old?.grid != null;
    return ok({}, () => {
      // Leaving a playing group for a silent one: stop the old clicks.
      if (leftPlaying && old && !grid) s.conn.send(encodeRequest("stop_sound", "null", s.nextRequestId()));
      // Joining (or re-subscribing to) a playing group: the running grid at once, so it joins in phase.
      if (grid) this.playSound(g, [s], joinBeat(grid, this.clock.now()), grid);
    });
  }

  /** Owner-only control: the group, or the contract's error. */
  private owned(s: MetronomeClient, groupId: number): Group<MetronomeClient> | HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    const g = this.groups.get(groupId);
    if (!g) return fail(Msg.noGroup);
    if (g.owner !== s) return fail(Msg.notOwner);
    return g;
  }

  start(s: MetronomeClient, groupId: number, bpm: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    // A start while playing restarts: a fresh grid lead_ms ahead.
    const grid = startGrid(this.clock.now(), this.leadMs, bpm);
    g.grid = grid;
    g.bpm = bpm;
    return ok({}, () => this.playSound(g, g.members, grid.anchor, grid));
  }

  updateTempo(s: MetronomeClient, groupId: number, bpm: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    g.bpm = bpm;
    if (!g.grid) return ok(); // stopped: only store the tempo
    const old = g.grid;
    const grid = retempo(old, this.clock.now(), bpm);
    g.grid = grid;
    return ok({}, () => this.playSound(g, g.members, grid.anchor, grid, old));
  }

  stop(s: MetronomeClient, groupId: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    g.grid = null;
    // Sent even when already stopped (docs/metronome.md#owner-controls): stop_sound is idempotent
    // and brings a phone that missed a frame back in line.
    return ok({}, () => this.stopSound(g));
  }

  /** sync_time (docs/metronome.md#sync_time): NTP-style timestamps, and learn from `previous`. */
  syncTime(s: MetronomeClient, clientTs: number, previous: Exchange | null | undefined): HubOutcome {
    if (s.clientId === null) return fail(Msg.noId);
    const recv = this.clock.now();
    s.clock.oneWaySample(clientTs, recv);
    if (previous) s.clock.exchange(previous);
    return ok({ client_ts: clientTs, server_recv_ts: recv, server_send_ts: this.clock.now() });
  }
}

const isGroup = (g: Group<MetronomeClient> | HubOutcome): g is Group<MetronomeClient> => "members" in g;
