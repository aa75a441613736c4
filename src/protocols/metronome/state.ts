// Metronome state and rules (docs/metronome.md): client ids, groups, owner-only control, the beat
// grid, late join, dissolve. Pure: an injected Clock, Topics and a tiny Peer interface, no sockets.
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import type { Exchange } from "./clock-sync.ts";
import { MetronomeClient } from "./client.ts";
import { fanOut, type Via } from "./fanout.ts";
import { joinBeat, retempo, startGrid, type Grid } from "./grid.ts";
import { encodeRequest, type PeerResponse } from "./codec.ts";
import { Msg } from "./errors.ts";
import { groupTopic, MemoryGroups, SequentialIds, then, Unavailable, type Awaitable, type Group, type GroupRegistry, type IdAllocator, type RemoteChange } from "./registry.ts";
import { TimeProbe } from "./time-probe.ts";

export { MetronomeClient };

/** The original API's result shape for domain outcomes. */
export type Reply = { status: "success"; [k: string]: unknown } | { status: "error"; message: string };
export interface HubOutcome {
  result: Reply;
  /** Server requests to send once the reply itself has gone out ("success, then play_sound"). */
  after?: () => void;
}


const ok = (extra: Record<string, unknown> = {}, after?: () => void): HubOutcome => ({ result: { status: "success", ...extra }, after });
const fail = (message: string): HubOutcome => ({ result: { status: "error", message } });
/** A call that waited for the shared state (several nodes): Redis out of reach is "try again", not a bug. */
const guard = (out: Awaitable<HubOutcome>): Awaitable<HubOutcome> =>
  out instanceof Promise ? out.catch((e: unknown) => (e instanceof Unavailable ? fail(Msg.unavailable) : Promise.reject(e))) : out;

export { groupTopic } from "./registry.ts";

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

  /** A closed connection: leave the joined group; an owner's group is dissolved (docs/metronome.md#groups-and-disconnects); its id is free. */
  disconnect(s: MetronomeClient): void {
    s.closed = true;
    s.probe?.stop();
    if (s.joined) this.part(s, s.joined);
    s.joined = null;
    const own = s.clientId === null ? undefined : this.groups.get(s.clientId);
    if (own && own.owner === s) this.dissolve(own);
    if (s.clientId !== null) void this.ids.release(s.clientId);
  }

  /** g ends: its owner's connection closed, or (a mirror) its owner's node says so or is gone. */
  private dissolve(g: Group<MetronomeClient>): void {
    this.groups.remove(g);
    if (g.owner) this.part(g.owner, g); // it is gone: the rest hear the stop
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
    this.groups.left(g);
  }

  private join(m: MetronomeClient, g: Group<MetronomeClient>): void {
    g.members.add(m);
    m.conn.subscribe(g.topic);
  }

  /** stop_sound to every member of g. */
  private stopSound(g: Group<MetronomeClient>): void {
    for (const m of g.members) m.leave(g);
    fanOut(this.topics, g, g.members, "topic", () => "null", "stop_sound");
  }

  /**
   * play_sound for a server-time beat of `grid` to `to` (every member of g, from the owner's
   * handler; or one client, from its own handler or a timer). A member whose clock is being measured
   * for the first time waits instead (docs/metronome.md#get_time): it is sent the grid running when
   * its measurement settles.
   */
  private playSound(g: Group<MetronomeClient>, to: Iterable<MetronomeClient>, beat: number, grid: Grid, from?: Grid): void {
    const bpm = grid.bpm;
    let via: Via = to === g.members ? "topic" : "send";
    let waits = false;
    for (const m of to) {
      if (!m.measuring) continue;
      m.wait(g);
      waits = true;
    }
    if (waits) {
      to = [...to].filter((m) => !m.measuring);
      if (via === "topic") via = "post";
    }
    fanOut(this.topics, g, to, via, (m) => m.startTs(g, beat, grid, from), "play_sound", (t) => `{"start_ts":${t},"bpm":${bpm}}`);
  }

  /** s's clock measurement settled: the play_sound it waited for, on the grid running now. */
  private settled(s: MetronomeClient): void {
    const waiting = s.waiting;
    s.waiting = null;
    if (!waiting) return;
    const now = this.clock.now();
    for (const g of waiting) if (g.grid && g.members.has(s)) this.playSound(g, [s], joinBeat(g.grid, now), g.grid);
  }

  /** A one-way clock sample (time_utc, current_client_ts) received now. */
  sample(s: MetronomeClient, clientTs: number): void {
    s.clock.oneWaySample(clientTs, this.clock.now());
  }

  /**
   * `wanted`: the id the client asks back (later dialect, docs/metronome.md#get_id). It gets it if
   * it is free: issued by this server, held by no connection (its holder's connection closed), and
   * owning no group (a group dissolves with its owner's connection). Otherwise a new id.
   */
  getId(s: MetronomeClient, wanted?: number | null): Awaitable<HubOutcome> {
    // Calling it again on the same connection returns the same id.
    if (s.clientId !== null) return ok({ client_id: s.clientId });
    const id = wanted != null && !this.groups.get(wanted) ? then(this.ids.reclaim(wanted), (yes) => (yes ? wanted : this.ids.next())) : this.ids.next();
    return guard(
      then(id, (id) => {
        // Closed while the id was on its way: nobody holds it.
        if (s.closed) return void this.ids.release(id), fail(Msg.noId);
        s.clientId = id;
        return ok({ client_id: id });
      }),
    );
  }

  /**
   * s sent a frame only the later dialect sends: from now on its clock is measured with get_time
   * (docs/metronome.md#get_time). Run after the reply, and before that frame's own effects.
   */
  laterDialect(s: MetronomeClient): void {
    if (s.probe) return;
    s.probe = new TimeProbe(this.clock, {
      send: (f) => s.conn.send(f),
      nextRequestId: () => s.nextRequestId(),
      roundTrip: (e) => s.clock.roundTrip(e),
      settled: () => this.settled(s),
    });
    s.probe.start();
  }

  /** A client's answer to one of our requests: a get_time answer is a clock exchange; the rest is taken silently. */
  response(s: MetronomeClient, r: PeerResponse): void {
    s.probe?.answer(r.id, r.result);
  }

  createGroup(s: MetronomeClient): Awaitable<HubOutcome> {
    const id = s.clientId;
    if (id === null) return fail(Msg.noId);
    let existing = this.groups.get(id);
    // A mirror with this client's id is of a group that ended while the news could not arrive.
    if (existing && existing.owner !== s) this.dissolve(existing), (existing = undefined);
    // Idempotent: client_id === group_id, so there is only ever one group to create.
    if (existing) return ok({ group_id: id });
    const g: Group<MetronomeClient> = { id, topic: groupTopic(id), owner: s, members: new Set(), grid: null, bpm: null };
    const added = this.groups.add(g);
    this.join(s, g);
    return then(added, () => ok({ group_id: id }));
  }

  subscribe(s: MetronomeClient, groupId: number, again = true): Awaitable<HubOutcome> {
    if (s.clientId === null) return fail(Msg.noId);
    const known = this.groups.get(groupId);
    if (known) return this.enter(s, known);
    // Owned on another node, or nowhere (one node on its own: answered at once).
    return guard(
      then(this.groups.find(groupId), (g) => {
        if (!g) return fail(Msg.noGroup);
        if (s.closed) return this.groups.left(g), fail(Msg.noGroup);
        // Dropped while this lookup waited (its other waiter closed): look once more.
        if (this.groups.get(groupId) !== g) return again ? this.subscribe(s, groupId, false) : fail(Msg.noGroup);
        return this.enter(s, g);
      }),
    );
  }

  /** s joins g (or subscribes to it again). */
  private enter(s: MetronomeClient, g: Group<MetronomeClient>): HubOutcome {
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
    this.groups.changed(g, "start", null);
    return ok({}, () => this.playSound(g, g.members, grid.anchor, grid));
  }

  updateTempo(s: MetronomeClient, groupId: number, bpm: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    g.bpm = bpm;
    const old = g.grid;
    const grid = old && retempo(old, this.clock.now(), bpm);
    g.grid = grid;
    this.groups.changed(g, "tempo", old);
    if (!grid) return ok(); // stopped: only store the tempo
    return ok({}, () => this.playSound(g, g.members, grid.anchor, grid, old!));
  }

  stop(s: MetronomeClient, groupId: number): HubOutcome {
    const g = this.owned(s, groupId);
    if (!isGroup(g)) return g;
    g.grid = null;
    this.groups.changed(g, "stop", null);
    // Sent even when already stopped (docs/metronome.md#owner-controls): stop_sound is idempotent
    // and brings a phone that missed a frame back in line.
    return ok({}, () => this.stopSound(g));
  }

  /**
   * A group owned on another node, mirrored here, changed (docs/cluster.md#metronome): its members
   * here hear it as the owner's node's members do, each in its own clock. `from`: the grid an
   * update_temp continues, when the mirror had it.
   */
  remote(g: Group<MetronomeClient>, change: RemoteChange, from?: Grid): void {
    const grid = g.grid;
    if (change === "end") return this.dissolve(g);
    if (change === "stop" || (change === "resync" && !grid)) return this.stopSound(g);
    if (!grid) return; // update_temp while stopped: only the tempo
    if (change === "resync") this.playSound(g, g.members, joinBeat(grid, this.clock.now()), grid);
    else this.playSound(g, g.members, grid.anchor, grid, change === "tempo" ? from : undefined);
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
