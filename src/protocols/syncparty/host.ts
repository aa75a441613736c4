// Several nodes, the room's side (docs/cluster.md#watch-party): a room lives on the node that
// made it, and its participants on other nodes are run here through a RemoteConn each, by the
// same PartyDispatch and PartyRooms as local sockets: admission, seats, resume tokens, host
// migration, the grace period and 4001 replacement all stay in the one PartyRooms that holds the
// room. What a RemoteConn sends, subscribes or relays becomes a message to the socket's node.
import type { Conn, Topics } from "../../transport/types.ts";
import { Close } from "../../transport/close-codes.ts";
import { encodeError } from "./codec.ts";
import type { PartyDispatch, Viewer } from "./dispatch.ts";
import { fail } from "./errors.ts";
import { K, type FrameMsg, type LeaveMsg, type NodeLink, type RosterMsg } from "./link.ts";
import type { PartyRooms } from "./state.ts";

/** Negative, so never the id of one of this node's own connections. */
let nextRemoteId = -1;
const text = (d: string | Uint8Array) => (typeof d === "string" ? d : new TextDecoder().decode(d));

/** A socket of another node, as the rules here see it. */
export class RemoteConn implements Conn<Viewer> {
  readonly id = nextRemoteId--;
  readonly operator = false;
  state!: Viewer;
  /** Closed from here (replaced, the room removed, this node stopping): nothing more is sent. */
  closed = false;
  /** Its node is gone: nothing is sent there any more. */
  gone = false;
  readonly topics = new Set<string>();

  constructor(readonly node: string, readonly cid: number, private readonly seats: RemoteSeats) {}

  private tell(kind: string, payload: object): void {
    if (!this.closed && !this.gone) this.seats.link.send(this.node, kind, payload);
  }
  send(data: string | Uint8Array): void {
    this.tell(K.send, { c: this.cid, d: text(data) });
  }
  post(data: string): void {
    this.send(data);
  }
  close(code: number, reason = ""): void {
    this.tell(K.close, { c: this.cid, code, reason });
    this.closed = true;
    this.seats.forget(this);
  }
  subscribe(topic: string): void {
    if (this.closed) return;
    if (!this.topics.has(topic)) {
      this.topics.add(topic);
      this.seats.member(topic, this.node, +1);
    }
    this.tell(K.sub, { c: this.cid, t: topic });
  }
  unsubscribe(topic: string): void {
    if (this.topics.delete(topic)) this.seats.member(topic, this.node, -1);
    this.tell(K.unsub, { c: this.cid, t: topic });
  }
  publishOthers(topic: string, data: string): void {
    this.seats.local.publish(topic, data);
    this.seats.fan(topic, data, this);
  }
  cork(fn: () => void): void {
    fn();
  }
  watch(work: Promise<unknown>): void {
    work.catch((err: unknown) => this.seats.fault(err, this));
  }
}

interface Entry {
  v: Viewer;
  rc: RemoteConn;
  /** The last frame number taken. */
  last: number;
  /** Frames taken and not yet answered. */
  busy: number;
  chain: Promise<void>;
}

export interface RemoteSeatsDeps {
  link: NodeLink;
  /** This node's own sockets' topics (nothing goes to Redis). */
  local: Topics;
  /** A bug in a handler (the seam's report): logged once; the socket is closed with 1011. */
  fault(err: unknown, conn: Conn): void;
}

const key = (node: string, cid: number) => `${node}\n${cid}`;

export class RemoteSeats {
  /** One per socket of another node that has sent frames here, until its node says it left. */
  private readonly entries = new Map<string, Entry>();
  /** Room topic → node → its sockets seated in that room: where a room message must go. */
  private readonly members = new Map<string, Map<string, number>>();
  private rooms!: PartyRooms;
  private dispatch!: PartyDispatch;

  constructor(private readonly deps: RemoteSeatsDeps) {}

  get link(): NodeLink {
    return this.deps.link;
  }
  get local(): Topics {
    return this.deps.local;
  }

  attach(rooms: PartyRooms, dispatch: PartyDispatch): void {
    this.rooms = rooms;
    this.dispatch = dispatch;
  }

  /** The Topics the rooms publish to: this node's sockets, and the nodes with participants. */
  topics(): Topics {
    return {
      publish: (topic, data) => {
        this.deps.local.publish(topic, data);
        this.fan(topic, data);
      },
    };
  }

  /** A room message to every other node with sockets in the room (but `except`, on its node). */
  fan(topic: string, data: string, except?: RemoteConn): void {
    const nodes = this.members.get(topic);
    if (!nodes) return;
    for (const node of nodes.keys()) this.deps.link.send(node, K.fan, except?.node === node ? { t: topic, d: data, x: except.cid } : { t: topic, d: data });
  }

  member(topic: string, node: string, delta: number): void {
    let nodes = this.members.get(topic);
    if (!nodes) this.members.set(topic, (nodes = new Map()));
    const n = (nodes.get(node) ?? 0) + delta;
    if (n > 0) nodes.set(node, n);
    else nodes.delete(node);
    if (nodes.size === 0) this.members.delete(topic);
  }

  fault(err: unknown, conn: Conn): void {
    this.deps.fault(err, conn);
    conn.close(Close.internal, "internal error");
  }

  /** Nodes with sockets that talk to rooms here. */
  nodes(): Set<string> {
    return new Set([...this.entries.values()].map((e) => e.rc.node));
  }

  /** Participants seated here from other nodes. */
  get remoteCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (this.rooms.roomOf(e.rc)) n++;
    return n;
  }

  // ---- from the sockets' nodes ----

  /** A frame of a socket of another node, handled as a local one would be, then answered with done. */
  onFrame(p: FrameMsg, from: string): void {
    let e = this.entries.get(key(from, p.c));
    if (!e) {
      const rc = new RemoteConn(from, p.c, this);
      const v = this.dispatch.open(rc);
      rc.state = v;
      e = { v, rc, last: 0, busy: 0, chain: Promise.resolve() };
      this.entries.set(key(from, p.c), e);
    }
    // A frame sent again after a Redis restart: answered once more if it is done, never run twice.
    if (p.s <= e.last) return void (p.s === e.last && e.busy === 0 && this.done(e, p.s));
    e.last = p.s;
    const entry = e;
    const run = () => this.handle(entry, p);
    // An idle socket's frame runs now, so nothing from this node can overtake it.
    e.chain = e.busy++ === 0 ? run() : e.chain.then(run);
  }

  private async handle(e: Entry, p: FrameMsg): Promise<void> {
    e.v.client = p.b;
    const pending = this.dispatch.process(e.v, p.t);
    if (pending) {
      e.rc.watch(pending);
      await pending.catch(() => {});
    }
    e.busy--;
    this.done(e, p.s);
  }

  private done(e: Entry, s: number): void {
    if (!e.rc.gone) this.deps.link.send(e.rc.node, K.done, { c: e.rc.cid, s, b: e.v.client, r: this.rooms.roomOf(e.rc)?.id ?? null });
  }

  /** The socket closed or moved elsewhere: it leaves its seat here as a closing socket would. */
  onLeave(p: LeaveMsg, from: string): void {
    const e = this.entries.get(key(from, p.c));
    if (e) this.drop(e);
  }

  /** After a Redis restart: sockets of that node not in its roster are gone (their leave was lost). */
  onRoster(p: RosterMsg, from: string): void {
    const listed = new Set(p.c);
    for (const e of [...this.entries.values()]) if (e.rc.node === from && !listed.has(e.rc.cid)) this.drop(e);
    this.deps.link.send(from, K.missing, { c: p.c.filter((c) => !this.entries.has(key(from, c))) });
  }

  /** A node is gone (or, with node null, this one is cut off from all of them): its sockets leave. */
  gone(node: string | null): void {
    for (const e of [...this.entries.values()]) {
      if (node !== null && e.rc.node !== node) continue;
      e.rc.gone = true;
      this.drop(e);
    }
  }

  /** RemoteConn closed from here: no more frames are taken for it. */
  forget(rc: RemoteConn): void {
    const e = this.entries.get(key(rc.node, rc.cid));
    if (e?.rc === rc) {
      this.entries.delete(key(rc.node, rc.cid));
      e.v.closed = true;
    }
    for (const t of rc.topics) this.member(t, rc.node, -1);
    rc.topics.clear();
  }

  private drop(e: Entry): void {
    this.entries.delete(key(e.rc.node, e.rc.cid));
    this.dispatch.close(e.v);
    e.rc.closed = true;
    this.forget(e.rc);
  }

  /** This node is stopping: its rooms end; the participants elsewhere are told, as when a node dies. */
  stop(now: number): void {
    for (const e of [...this.entries.values()]) {
      const room = this.rooms.roomOf(e.rc)?.id;
      if (room !== undefined) e.rc.send(encodeError(fail("room_missing", `room ${room} is gone: the node that held it is stopping`), room, e.v.client, now));
      e.rc.close(Close.nodeGone, "the room's node stopped");
    }
  }
}
