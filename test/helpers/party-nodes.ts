// Several watch-party nodes in one process (docs/cluster.md#watch-party), for unit tests: each
// with its own rules, dispatch and fake sockets, joined by an in-order message hub and one
// in-memory room directory, with a shared fake clock. Nothing here touches a network.
import { silentLogger } from "../../src/log.ts";
import { JwtAuth } from "../../src/protocols/syncparty/auth.ts";
import { PartyCluster, type ClusterPort } from "../../src/protocols/syncparty/cluster.ts";
import { MemoryDirectory } from "../../src/protocols/syncparty/directory.ts";
import { PartyDispatch } from "../../src/protocols/syncparty/dispatch.ts";
import type { NodeLink } from "../../src/protocols/syncparty/link.ts";
import type { Proxied } from "../../src/protocols/syncparty/proxy.ts";
import { PartyRooms } from "../../src/protocols/syncparty/state.ts";
import { FakeClock, FakeConn, FakeHub, settle } from "./fakes.ts";

type Handler = (payload: any, from: string) => unknown;

/** The node channels: one queue, so what one node says to another arrives in order. */
export class FakeNet {
  readonly clock = new FakeClock();
  readonly directory = new MemoryDirectory();
  readonly nodes = new Map<string, PartyNode>();
  /** Messages in flight, in the order they were sent. */
  private readonly queue: Array<{ from: string; to: string; kind: string; payload: string }> = [];
  /** Drop the next messages of this kind (a message Redis lost). */
  lose = new Map<string, number>();
  /** Every message delivered, for looking at the traffic. */
  readonly log: Array<{ from: string; to: string; kind: string }> = [];

  link(node: string): NodeLink & { handlers: Map<string, Handler> } {
    const handlers = new Map<string, Handler>();
    return {
      nodeId: node,
      handlers,
      on: (kind, fn) => void handlers.set(kind, fn as Handler),
      send: (to, kind, payload) => void this.queue.push({ from: node, to, kind, payload: JSON.stringify(payload) }),
    };
  }

  /** Deliver everything in flight (and what that makes), letting promises run in between. */
  async settle(): Promise<void> {
    for (let round = 0; round < 200; round++) {
      await settle();
      if (this.queue.length === 0) return;
      while (this.queue.length > 0) {
        const m = this.queue.shift()!;
        const lost = this.lose.get(m.kind) ?? 0;
        if (lost > 0) {
          this.lose.set(m.kind, lost - 1);
          continue;
        }
        const target = this.nodes.get(m.to);
        if (!target || !target.up) continue;
        this.log.push({ from: m.from, to: m.to, kind: m.kind });
        target.link.handlers.get(m.kind)?.(JSON.parse(m.payload), m.from);
      }
    }
    throw new Error("the nodes never went quiet");
  }

  add(id: string, opts: NodeOptions = {}): PartyNode {
    const n = new PartyNode(this, id, opts);
    this.nodes.set(id, n);
    return n;
  }

  /** A node dies: the others see it gone at their next heartbeat, and one clears its rooms. */
  async kill(id: string): Promise<void> {
    const dead = this.nodes.get(id)!;
    dead.up = false;
    this.nodes.delete(id);
    for (const n of this.nodes.values()) for (const fn of n.goneFns) fn(id);
    const reaper = [...this.nodes.values()][0];
    for (const fn of reaper?.reapFns ?? []) await fn(id);
    await this.settle();
  }
}

let tokens = 0;

export interface NodeOptions {
  graceMs?: number;
  maxParticipants?: number;
  /** --jwt-secret (the same on every node). */
  secret?: string;
}

/** A client socket of one node: the node's close handler runs when either side closes it. */
export class Sock extends FakeConn<Proxied> {
  constructor(readonly node: PartyNode, hub: FakeHub) {
    super(hub);
  }
  override close(code: number, reason?: string): void {
    const first = this.closedWith === null;
    super.close(code, reason);
    if (first) {
      this.hub2.unsubscribeAll(this);
      queueMicrotask(() => this.node.party.proxy.close(this.state));
    }
  }
  private get hub2() {
    return this.node.hub as PartyHub;
  }
  /** Send one envelope, as a client would. */
  say(type: string, room: string | null, client: string | null, payload: object = {}): void {
    this.node.party.proxy.message(this.state, JSON.stringify({ type, room, client, payload, ts: 1 }));
  }
  sayRaw(text: string): void {
    this.node.party.proxy.message(this.state, text);
  }
  /** Frames received since the last call, parsed. */
  got(): any[] {
    return this.takeJson();
  }
  types(): string[] {
    return this.got().map((m) => m.type);
  }
}

class PartyHub extends FakeHub {
  unsubscribeAll(c: FakeConn): void {
    for (const s of this.subs.values()) s.delete(c);
  }
}

export class PartyNode {
  up = true;
  readyNow = true;
  readonly hub = new PartyHub();
  readonly link: ReturnType<FakeNet["link"]>;
  readonly party: PartyCluster;
  readonly rooms: PartyRooms;
  readonly dispatch: PartyDispatch;
  readonly goneFns: Array<(node: string) => void> = [];
  readonly reapFns: Array<(node: string) => Promise<void> | void> = [];
  readonly resyncFns: Array<() => Promise<void> | void> = [];
  readonly faults: unknown[] = [];

  constructor(readonly net: FakeNet, readonly id: string, opts: NodeOptions) {
    this.link = net.link(id);
    const port: ClusterPort = {
      link: this.link,
      directory: net.directory,
      onGone: (fn) => void this.goneFns.push(fn),
      onReap: (fn) => void this.reapFns.push(fn),
      onResync: (fn) => void this.resyncFns.push(fn),
      alive: (node) => net.nodes.get(node)?.up === true,
      ready: () => this.readyNow,
      heartbeatMs: 100,
      timeoutMs: 500,
    };
    const clock = net.clock;
    this.party = new PartyCluster({ port, local: this.hub, clock, log: silentLogger, fault: (err) => void this.faults.push(err), maxHeld: 50, maxHeldBytes: 1 << 20 });
    let n = 0;
    this.rooms = new PartyRooms({
      clock,
      topics: this.party.topics(),
      graceMs: opts.graceMs ?? 1000,
      maxParticipants: opts.maxParticipants ?? 100,
      maxRooms: 100,
      roomsPerConn: 100,
      newRoomId: () => `${id}-gen${++n}`,
      newResumeToken: () => `tok${++tokens}`,
      onDrop: (room) => this.party.dropped(room),
    });
    const auth = new JwtAuth({ secret: opts.secret ?? "", audience: "", issuer: "", clock });
    this.dispatch = new PartyDispatch({ rooms: this.rooms, auth, clock, maxOptionsBytes: 4096, claims: this.party.claims });
    this.party.attach(this.rooms, this.dispatch);
  }

  /** A new client socket on this node. */
  open(): Sock {
    const s = new Sock(this, this.hub);
    s.state = this.party.proxy.open(s);
    return s;
  }

  /** Redis came back (it restarted): the node's resync hooks run. */
  async resync(): Promise<void> {
    for (const fn of this.resyncFns) await fn();
  }
}

/** A resume token for tests that make one up. */
export const newToken = () => `tok${++tokens}`;
