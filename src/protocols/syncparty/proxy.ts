// Several nodes, the socket's side (docs/cluster.md#watch-party): a socket whose room lives on
// another node is proxied. Its frames for that room go to the room's node one at a time (the next
// is handled only once that node has answered, so the socket's messages keep their order, as
// with a token check), and what that node says back is done here: frames sent to the socket,
// seats taken and left (a native subscription to the room's topic on this node), room messages
// for this node's sockets, a 4001. Ping, binding and envelope errors stay here.
import { Close } from "../../transport/close-codes.ts";
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import { decode, encodeError, type ClientMessage } from "./codec.ts";
import type { PartyDispatch, Viewer } from "./dispatch.ts";
import { fail } from "./errors.ts";
import type { RemoteSeats } from "./host.ts";
import { K, type CloseMsg, type DoneMsg, type FanMsg, type FrameMsg, type MissingMsg, type NodeLink, type SeatMsg, type SendMsg } from "./link.ts";
import { roomOfTopic, topicOf, type PartyRooms } from "./state.ts";

/** A socket of this node, in a cluster. */
export interface Proxied extends Viewer {
  conn: NodeConn;
  /** Frames waiting while one is handled elsewhere (or the directory is asked): per-socket order. */
  held: string[] | null;
  heldBytes: number;
  inflight: Inflight | null;
  seq: number;
  /** Nodes that keep an entry for this socket (it sent them frames), told when it closes. */
  owners: Set<string>;
}

interface Inflight {
  node: string;
  /** The room the frame was about, for the error if that node dies before answering. */
  room: string | null;
  frame: FrameMsg;
  resolve(): void;
  cancel(): void;
}

export interface PartyProxyDeps {
  link: NodeLink;
  rooms: PartyRooms;
  dispatch: PartyDispatch;
  host: RemoteSeats;
  local: Topics;
  clock: Clock;
  /** The node holding a room id, from the directory (rejects when it cannot be asked in time). */
  owner(room: string): Promise<string | null>;
  /** Redis in reach (docs/cluster.md#nodes-and-failures). */
  ready(): boolean;
  /** The node was alive at the last heartbeat. */
  alive(node: string): boolean;
  /** How long a room's node may take to answer a frame before the socket is closed with 1012. */
  timeoutMs: number;
  /** Frames and bytes a socket may have waiting (the rate queue's limits). */
  maxHeld: number;
  maxHeldBytes: number;
}

/**
 * A socket of this node as the rules here see it: itself, except that relaying also reaches
 * the other nodes' participants of a room held here, and that taking a seat here first leaves a
 * seat it has elsewhere (docs/syncparty.md#one-room-per-socket).
 */
export class NodeConn implements Conn<Viewer> {
  constructor(readonly inner: Conn<Viewer>, private readonly proxy: PartyProxy) {}
  get id() {
    return this.inner.id;
  }
  get operator() {
    return this.inner.operator;
  }
  get state() {
    return this.inner.state;
  }
  set state(s: Viewer) {
    this.inner.state = s;
  }
  send(data: string | Uint8Array): void {
    this.inner.send(data);
  }
  post(data: string): void {
    this.inner.post(data);
  }
  close(code: number, reason?: string): void {
    this.inner.close(code, reason);
  }
  subscribe(topic: string): void {
    this.proxy.seatingHere(this.inner.state as Proxied);
    this.inner.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    this.inner.unsubscribe(topic);
  }
  publishOthers(topic: string, data: string): void {
    this.inner.publishOthers(topic, data);
    this.proxy.deps.host.fan(topic, data);
  }
  cork(fn: () => void): void {
    this.inner.cork(fn);
  }
  watch(work: Promise<unknown>): void {
    this.inner.watch(work);
  }
}

type Target = string | null | Promise<string | null>;

export class PartyProxy {
  private readonly sockets = new Map<number, Proxied>();

  constructor(readonly deps: PartyProxyDeps) {}

  open(conn: Conn<Viewer>): Proxied {
    const nc = new NodeConn(conn, this);
    const v: Proxied = Object.assign(this.deps.dispatch.open(nc), { conn: nc, held: null, heldBytes: 0, inflight: null, seq: 0, owners: new Set<string>() });
    this.sockets.set(conn.id, v);
    return v;
  }

  message(v: Proxied, text: string): void {
    if (!v.held) return this.run(v, text);
    if (v.held.length >= this.deps.maxHeld || v.heldBytes + text.length > this.deps.maxHeldBytes) {
      v.conn.send(this.deps.dispatch.rateLimited(v));
      return this.cut(v, Close.policy, "rate limit");
    }
    v.held.push(text);
    v.heldBytes += text.length;
  }

  close(v: Proxied): void {
    this.deps.dispatch.close(v);
    this.finish(v);
    for (const node of v.owners) this.deps.link.send(node, K.leave, { c: v.conn.id });
    v.owners.clear();
    v.away = null;
    this.sockets.delete(v.conn.id);
  }

  /** Close a socket from here (its room's node is out of reach, or its queue is full). */
  cut(v: Proxied, code: number = Close.nodeGone, reason = "the room's node is out of reach"): void {
    v.closed = true;
    v.conn.close(code, reason);
    this.finish(v);
  }

  private run(v: Proxied, text: string): void {
    const pending = this.route(v, text);
    if (!pending) return;
    v.held = [];
    v.heldBytes = 0;
    // A failure here is a bug: the seam logs it and closes the socket with 1011.
    v.conn.watch(pending.then(() => this.drain(v)));
  }

  private drain(v: Proxied): void {
    const waiting = v.held ?? [];
    v.held = null;
    v.heldBytes = 0;
    while (waiting.length > 0 && !v.closed) {
      this.run(v, waiting.shift()!);
      const again = v.held as string[] | null;
      if (again) {
        again.push(...waiting);
        for (const t of waiting) v.heldBytes += t.length;
        return;
      }
    }
  }

  private route(v: Proxied, text: string): Promise<void> | void {
    const d = decode(text);
    // Bad frames and a client id that is not the socket's are answered here, as on one node.
    if (!d.ok || (v.client !== null && d.msg.client !== null && d.msg.client !== v.client)) return this.deps.dispatch.process(v, text);
    const m = d.msg;
    const to = this.target(v, m);
    const go = (node: string | null) => {
      if (v.closed) return;
      return node === null ? this.deps.dispatch.process(v, text) : this.forward(v, node, text, m.room ?? v.away?.room ?? null);
    };
    if (!(to instanceof Promise)) return go(to);
    return to.then(go, () => this.cut(v));
  }

  /** Where a frame is handled: null here, else the node that holds the room it is about. */
  private target(v: Proxied, m: ClientMessage): Target {
    const { rooms } = this.deps;
    switch (m.type) {
      case "ping":
        return null;
      case "create_room":
      case "join_room":
        if (m.room === null || rooms.get(m.room)) return null;
        return m.room === v.away?.room ? v.away.node : this.lookup(m.room);
      case "leave_room":
        return v.away && (m.room === null || m.room === v.away.room) ? v.away.node : null;
      default:
        if (m.room === null || m.room === this.deps.dispatch.roomIdOf(v)) return v.away?.node ?? null;
        return rooms.get(m.room) ? null : this.lookup(m.room);
    }
  }

  /** The room's node if it is another live node; null: here (a room nobody holds is room_missing here). */
  private lookup(room: string): Promise<string | null> {
    if (!this.deps.ready()) return Promise.reject(new Error("redis out of reach"));
    const self = this.deps.link.nodeId;
    return this.deps.owner(room).then((n) => (n === null || n === self || !this.deps.alive(n) ? null : n));
  }

  private forward(v: Proxied, node: string, text: string, room: string | null): Promise<void> | void {
    if (!this.deps.ready()) return this.cut(v);
    v.owners.add(node);
    const frame: FrameMsg = { c: v.conn.id, b: v.client, t: text, s: ++v.seq };
    return new Promise<void>((resolve) => {
      const cancel = this.deps.clock.setTimer(this.deps.timeoutMs, () => this.cut(v));
      v.inflight = { node, room, frame, resolve, cancel };
      this.deps.link.send(node, K.frame, frame);
    });
  }

  private finish(v: Proxied): void {
    const f = v.inflight;
    if (!f) return;
    v.inflight = null;
    f.cancel();
    f.resolve();
  }

  // ---- seats elsewhere ----

  /** The room on `node` seated this socket (it moves there from any seat it had). */
  private seat(v: Proxied, room: string, node: string): void {
    if (this.deps.rooms.roomOf(v.conn)) this.deps.rooms.leave(v.conn);
    if (v.away && v.away.node !== node) this.leaveAway(v);
    else if (v.away) v.conn.inner.unsubscribe(topicOf(v.away.room));
    v.conn.inner.subscribe(topicOf(room));
    v.away = { room, node };
  }

  private unseat(v: Proxied): void {
    if (v.away) v.conn.inner.unsubscribe(topicOf(v.away.room));
    v.away = null;
  }

  private leaveAway(v: Proxied): void {
    const a = v.away!;
    this.unseat(v);
    v.owners.delete(a.node);
    this.deps.link.send(a.node, K.leave, { c: v.conn.id });
  }

  /** The socket takes a seat in a room of this node: a seat elsewhere ends first. */
  seatingHere(v: Proxied): void {
    if (v.away) this.leaveAway(v);
  }

  // ---- from the rooms' nodes ----

  onDone(p: DoneMsg, from: string): void {
    const v = this.sockets.get(p.c);
    const f = v?.inflight;
    if (!v || !f || f.node !== from || f.frame.s !== p.s) return;
    v.client = p.b;
    // The seat as that node sees it (the sub/unsub before this said so already, unless lost).
    if (p.r === null) {
      if (v.away?.node === from) this.unseat(v);
    } else if (v.away?.node !== from || v.away.room !== p.r) this.seat(v, p.r, from);
    this.finish(v);
  }

  onSend(p: SendMsg): void {
    this.sockets.get(p.c)?.conn.send(p.d);
  }

  onClose(p: CloseMsg): void {
    this.sockets.get(p.c)?.conn.close(p.code, p.reason);
  }

  onSub(p: SeatMsg, from: string): void {
    const v = this.sockets.get(p.c);
    const room = roomOfTopic(p.t);
    if (v && !v.closed && room !== null) this.seat(v, room, from);
  }

  onUnsub(p: SeatMsg, from: string): void {
    const v = this.sockets.get(p.c);
    if (v?.away?.node === from && topicOf(v.away.room) === p.t) this.unseat(v);
  }

  onFan(p: FanMsg): void {
    const x = p.x === undefined ? undefined : this.sockets.get(p.x);
    if (x && !x.closed) x.conn.inner.publishOthers(p.t, p.d);
    else this.deps.local.publish(p.t, p.d);
  }

  /** Answer to a roster: sockets that node no longer seats (a lost message) are closed with 1012. */
  onMissing(p: MissingMsg, from: string): void {
    for (const c of p.c) {
      const v = this.sockets.get(c);
      if (!v || v.inflight?.node === from) continue;
      v.owners.delete(from);
      if (v.away?.node === from) this.cut(v);
    }
  }

  /** Tell a node which sockets here it should know, after sending again what it has not answered. */
  roster(node: string): void {
    const c: number[] = [];
    for (const v of this.sockets.values()) {
      if (v.inflight?.node === node) this.deps.link.send(node, K.frame, v.inflight.frame);
      if (v.owners.has(node)) c.push(v.conn.id);
    }
    this.deps.link.send(node, K.roster, { c });
  }

  /** Every node this node's sockets talk to. */
  nodes(): Set<string> {
    const out = new Set<string>();
    for (const v of this.sockets.values()) for (const n of v.owners) out.add(n);
    return out;
  }

  /**
   * A node is gone (docs/cluster.md#watch-party): its rooms are gone with it. A socket seated
   * there gets room_missing and is closed with 1012; a frame that was waiting for it gets room_missing.
   * With node null this node is cut off from Redis: every socket seated elsewhere is closed.
   */
  gone(node: string | null): void {
    const now = this.deps.clock.now();
    for (const v of [...this.sockets.values()]) {
      if (node === null) {
        v.owners.clear();
        if (v.away || v.inflight) this.cut(v);
        continue;
      }
      v.owners.delete(node);
      const seated = v.away?.node === node;
      const f = v.inflight?.node === node ? v.inflight : null;
      if (!seated && !f) continue;
      const room = seated ? v.away!.room : f!.room;
      if (room !== null) v.conn.send(encodeError(fail("room_missing", `room ${room} is gone: the node that held it is gone`), room, v.client, now));
      if (seated) {
        v.away = null;
        this.cut(v, Close.nodeGone, "the room's node is gone");
      } else this.finish(v);
    }
  }

  /** This node is stopping: nothing waits any more, and nothing more is handled. */
  stop(): void {
    for (const v of this.sockets.values()) {
      v.closed = true;
      this.finish(v);
    }
  }
}
