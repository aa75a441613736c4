// Several nodes for the watch party (docs/cluster.md#watch-party): rooms owned by the node that
// made them, a directory in Redis saying which node that is, and the participants of other nodes
// proxied to it (host.ts on the room's node, proxy.ts on the socket's). This file wires them to
// the cluster: the node messages, node departures, Redis restarts, and being cut off from Redis.
import type { Cluster } from "../../cluster/cluster.ts";
import type { Logger } from "../../log.ts";
import { Close } from "../../transport/close-codes.ts";
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import { encodeError } from "./codec.ts";
import { RedisDirectory, type RoomDirectory } from "./directory.ts";
import type { PartyDispatch, RoomClaims, Viewer } from "./dispatch.ts";
import { fail } from "./errors.ts";
import { RemoteSeats } from "./host.ts";
import { K, type NodeLink } from "./link.ts";
import { NodeConn, PartyProxy, type Proxied } from "./proxy.ts";
import type { PartyRooms } from "./state.ts";

/** What the watch party needs of the cluster (a Cluster gives it; unit tests give fakes). */
export interface ClusterPort {
  link: NodeLink;
  directory: RoomDirectory;
  onGone(fn: (node: string) => void): void;
  onReap(fn: (node: string) => Promise<void> | void): void;
  onResync(fn: () => Promise<void> | void): void;
  alive(node: string): boolean;
  ready(): boolean;
  heartbeatMs: number;
  timeoutMs: number;
}

export function clusterPort(c: Cluster): ClusterPort {
  return {
    link: c.messages,
    directory: new RedisDirectory(c.redis),
    onGone: (fn) => c.presence.onGone(fn),
    onReap: (fn) => c.presence.onReap(fn),
    onResync: (fn) => c.onResync(fn),
    alive: (node) => c.presence.alive.has(node),
    ready: () => c.ready,
    heartbeatMs: c.opts.heartbeatMs,
    timeoutMs: c.opts.nodeTimeoutMs,
  };
}

export interface PartyClusterDeps {
  port: ClusterPort;
  /** This node's own sockets' topics. */
  local: Topics;
  clock: Clock;
  log: Logger;
  /** A handler bug, reported as the seam does. */
  fault(err: unknown, conn: Conn): void;
  maxHeld: number;
  maxHeldBytes: number;
}

/** A forwarded frame or a directory call waits at most this many node timeouts. */
const WAIT_TIMEOUTS = 2;

export class PartyCluster {
  readonly host: RemoteSeats;
  proxy!: PartyProxy;
  private rooms!: PartyRooms;
  private readonly link: NodeLink;
  private wasReady = true;
  /** This node's ids from before it started (restarted under the same --node-id) are cleared first. */
  private started: Promise<void> = Promise.resolve();
  /** Nodes seen gone, until presence counts them alive again. */
  private readonly departed = new Set<string>();
  private cancelTimers: Array<() => void> = [];

  constructor(private readonly deps: PartyClusterDeps) {
    const { port } = deps;
    // Cut off from Redis for longer than the node timeout, this node has been given up by the
    // others: what it would say to them meanwhile is of no use, so it is not queued for later.
    this.link = { nodeId: port.link.nodeId, on: (k, fn) => port.link.on(k, fn), send: (n, k, p) => void (port.ready() && port.link.send(n, k, p)) };
    this.host = new RemoteSeats({ link: this.link, local: deps.local, fault: deps.fault });
  }

  private get node(): string {
    return this.link.nodeId;
  }

  /** The Topics the rooms publish to. */
  topics(): Topics {
    return this.host.topics();
  }

  readonly claims: RoomClaims = {
    claim: (conn, id) => this.claim(conn, id),
    release: (id) => this.dropped(id),
  };

  /** A room of this node was removed: its id is free again. */
  dropped(id: string): void {
    this.deps.port.directory.release(id, this.node).catch((e: Error) => this.deps.log.warn("watch-party directory: release failed", { room: id, err: e.message }));
  }

  attach(rooms: PartyRooms, dispatch: PartyDispatch): void {
    const { port, clock } = this.deps;
    this.rooms = rooms;
    this.host.attach(rooms, dispatch);
    const proxy = (this.proxy = new PartyProxy({
      link: this.link,
      rooms,
      dispatch,
      host: this.host,
      local: this.deps.local,
      clock,
      owner: (room) => this.within(port.directory.owner(room)),
      ready: () => port.ready(),
      alive: (node) => this.alive(node),
      timeoutMs: port.timeoutMs * WAIT_TIMEOUTS,
      maxHeld: this.deps.maxHeld,
      maxHeldBytes: this.deps.maxHeldBytes,
    }));
    const host = this.host;
    const on = <P>(kind: string, fn: (p: P, from: string) => void) =>
      this.link.on<P>(kind, (p, from) => {
        try {
          fn(p, from);
        } catch (err) {
          this.deps.log.error("watch-party node message failed", { kind, from, err: err as Error });
        }
      });
    on(K.frame, (p: any, from) => host.onFrame(p, from));
    on(K.leave, (p: any, from) => host.onLeave(p, from));
    on(K.roster, (p: any, from) => host.onRoster(p, from));
    on(K.done, (p: any, from) => proxy.onDone(p, from));
    on(K.send, (p: any) => proxy.onSend(p));
    on(K.close, (p: any) => proxy.onClose(p));
    on(K.sub, (p: any, from) => proxy.onSub(p, from));
    on(K.unsub, (p: any, from) => proxy.onUnsub(p, from));
    on(K.fan, (p: any) => proxy.onFan(p));
    on(K.missing, (p: any, from) => proxy.onMissing(p, from));
    on(K.ask, (_p, from) => proxy.roster(from));
    port.onGone((node) => {
      this.departed.add(node);
      proxy.gone(node);
      host.gone(node);
    });
    port.onReap(async (node) => void (await port.directory.reap(node)));
    port.onResync(() => this.resync());
    this.started = port.directory.reap(this.node).then(
      (n) => void (n && this.deps.log.info("watch-party rooms of this node's previous run forgotten", { rooms: n })),
      (e: Error) => this.deps.log.warn("watch-party directory: clearing this node's old rooms failed", { err: e.message }),
    );
    this.watchReady();
  }

  /**
   * May a room's frames be sent to this node? Not once it was seen gone (its rooms are, even
   * while the directory still names it). A node just started or back counts as alive until then.
   */
  private alive(node: string): boolean {
    if (!this.departed.has(node)) return true;
    if (!this.deps.port.alive(node)) return false;
    this.departed.delete(node);
    return true;
  }

  /** A new room's id, claimed for this node. Out of reach: the socket is closed with 1012. */
  private async claim(conn: Conn, id: string): Promise<"claimed" | "taken" | "cut"> {
    if (this.deps.port.ready()) {
      try {
        await this.started;
        return (await this.within(this.deps.port.directory.claim(id, this.node))) ? "claimed" : "taken";
      } catch {}
    }
    if (conn instanceof NodeConn) this.proxy.cut(conn.state as Proxied);
    else conn.close(Close.nodeGone, "the room directory is out of reach");
    return "cut";
  }

  private within<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.deps.clock.setTimer(this.deps.port.timeoutMs * WAIT_TIMEOUTS, () => reject(new Error("redis did not answer in time")));
      work.then(
        (v) => (cancel(), resolve(v)),
        (e) => (cancel(), reject(e)),
      );
    });
  }

  /**
   * Redis came back, maybe restarted and empty: this node's rooms go back into the directory
   * (an id another node took meanwhile is that node's now: the room here ends). A heartbeat later,
   * once every node has subscribed again, messages lost meanwhile are set right: each node tells
   * the rooms' nodes which of its sockets they should know, and frames left unanswered are sent again.
   */
  private async resync(): Promise<void> {
    const taken = await this.deps.port.directory.restore(this.node, this.rooms.ids());
    for (const id of taken) this.dissolve(id);
    this.later(this.deps.port.heartbeatMs, () => {
      for (const node of this.proxy.nodes()) this.proxy.roster(node);
      for (const node of this.host.nodes()) this.link.send(node, K.ask, {});
    });
  }

  private dissolve(id: string): void {
    this.deps.log.warn("watch-party room ended: another node holds its id", { room: id });
    const now = this.deps.clock.now();
    const why = fail("room_missing", `room ${id} is gone: another node made a room with its id while this one was out of reach`);
    for (const conn of this.rooms.remove(id)) {
      conn.send(encodeError(why, id, (conn.state as Viewer).client, now));
      conn.close(Close.nodeGone, "the room's id was taken by another node");
    }
  }

  /** Cut off from Redis for the node timeout: the others see this node gone, so it lets them go too. */
  private watchReady(): void {
    this.later(this.deps.port.heartbeatMs, () => {
      const ready = this.deps.port.ready();
      if (this.wasReady && !ready) {
        this.deps.log.warn("cut off from Redis: watch-party seats across nodes end");
        this.proxy.gone(null);
        this.host.gone(null);
      }
      this.wasReady = ready;
      this.watchReady();
    });
  }

  private later(ms: number, fn: () => void): void {
    const cancel = this.deps.clock.setTimer(ms, () => {
      this.cancelTimers = this.cancelTimers.filter((c) => c !== cancel);
      fn();
    });
    this.cancelTimers.push(cancel);
  }

  /** Stopping in order: the participants elsewhere are told, and this node's room ids are free at once. */
  async stop(): Promise<void> {
    for (const c of this.cancelTimers) c();
    this.cancelTimers = [];
    this.host.stop(this.deps.clock.now());
    this.proxy.stop();
    const ids = this.rooms.ids();
    if (ids.length && this.deps.port.ready()) await this.within(Promise.all(ids.map((id) => this.deps.port.directory.release(id, this.node)))).catch(() => {});
  }
}
