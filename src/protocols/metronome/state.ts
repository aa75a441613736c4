// Metronome state and rules (docs/metronome.md): client ids, groups, owner-only control, the beat
// grid, late join, dissolve. Pure: an injected Clock, Topics and a tiny Peer interface, no sockets.
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import type { Exchange } from "./clock-sync.ts";
import { MetronomeClient } from "./client.ts";
import { joinBeat, retempo, startGrid, type Grid } from "./grid.ts";
import { encodeRequest, requestHead, type PeerResponse } from "./codec.ts";
import { Msg } from "./errors.ts";
import { MemoryGroups, SequentialIds, type Group, type GroupRegistry, type IdAllocator } from "./registry.ts";
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

/** Every member of a group is subscribed to its topic, so a frame they all share is published once. */
export const groupTopic = (id: number): string => `metronome:${id}`;

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
    s.probe?.stop();
    if (s.joined) this.part(s, s.joined);
    s.joined = null;
    const own = s.clientId === null ? undefined : this.groups.get(s.clientId);
    if (own && own.owner === s) this.dissolve(own);
    if (s.clientId !== null) this.ids.release(s.clientId);
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
    this.fanOut(g, g.members, "topic", () => "null", "stop_sound");
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
    this.fanOut(g, to, via, (m) => m.startTs(g, beat, grid, from), "play_sound", (t) => `{"start_ts":${t},"bpm":${bpm}}`);
  }

  /** s's clock measurement settled: the play_sound it waited for, on the grid running now. */
  private settled(s: MetronomeClient): void {
    const waiting = s.waiting;
    s.waiting = null;
    if (!waiting) return;
    const now = this.clock.now();
    for (const g of waiting) if (g.grid && g.members.has(s)) this.playSound(g, [s], joinBeat(g.grid, now), g.grid);
  }

  /**
   * One server request to each of `to`. Each phone's frame is its own in principle: start_ts on its
   * own clock, K from its own counter. In a band they usually agree (phones that joined together,
   * clocks that agree with the server's or with each other), and then the one frame is published to
   * the group's topic instead of written to each socket; otherwise each phone gets the frame for its
   * (value, K). `via`: "topic" when `to` is every member (so a shared frame may be published),
   * "post" for some members from the owner's handler, "send" for one client from its own handler or a timer.
   */
  private fanOut(g: Group<MetronomeClient>, to: Iterable<MetronomeClient>, via: Via, valueOf: (m: MetronomeClient) => number | string, method: string, params: (v: number | string) => string = String): void {
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
    if (same && via === "topic") {
      this.topics.publish(g.topic, `${head}${params(first.outValue)},"id":${first.outK}}`);
      return;
    }
    // One frame per phone; phones next to each other in the set with the same (start_ts, K) share
    // one. To the group (from the owner's handler) each is posted: one write per phone and loop
    // turn. A late joiner is answered from its own handler: sent.
    let v: number | string | null = null;
    let k = 0;
    let f = "";
    const toGroup = via !== "send";
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

  /**
   * `wanted`: the id the client asks back (later dialect, docs/metronome.md#get_id). It gets it if
   * it is free: issued by this server, held by no connection (its holder's connection closed), and
   * owning no group (a group dissolves with its owner's connection). Otherwise a new id.
   */
  getId(s: MetronomeClient, wanted?: number | null): HubOutcome {
    // Calling it again on the same connection returns the same id.
    if (s.clientId === null) s.clientId = wanted != null && !this.groups.get(wanted) && this.ids.reclaim(wanted) ? wanted : this.ids.next();
    return ok({ client_id: s.clientId });
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

/** How a fan-out reaches its receivers (see fanOut). */
type Via = "topic" | "post" | "send";

const isGroup = (g: Group<MetronomeClient> | HubOutcome): g is Group<MetronomeClient> => "members" in g;
