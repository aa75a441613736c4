// Several buzzer mediators in one process (docs/cluster.md#buzzer), for unit tests: each node with
// its own mediator, fake devices and fake sockets, and its own monotonic clock (the nodes' clocks
// start at different instants, as real ones do; their wall clocks agree), joined by one in-order
// queue for node messages and topic events, and in-memory registries standing in for Redis.
// Nothing here touches a network.
import { silentLogger } from "../../src/log.ts";
import { BuzzerCluster, type BuzzerPort } from "../../src/protocols/buzzer/cluster.ts";
import { MemoryPoolDirectory, type PoolDirectory } from "../../src/protocols/buzzer/directory.ts";
import { MemoryNameStore, type NameStore } from "../../src/protocols/buzzer/game.ts";
import { MemoryLeaderStore, type LeaderStore } from "../../src/protocols/buzzer/leader.ts";
import { MemoryPhoneRegistry, type PhoneRegistry } from "../../src/protocols/buzzer/phone-registry.ts";
import { DEFAULT_KEEP_MS } from "../../src/protocols/buzzer/phones.ts";
import { EVENTS_TOPIC, Mediator, type MediatorClient, type PoolSink, type PoolSpec } from "../../src/protocols/buzzer/state.ts";
import type { Clock } from "../../src/transport/types.ts";
import { FakeClock, FakeConn, FakeHub, settle } from "./fakes.ts";

type Handler = (payload: any, from: string) => unknown;

/** One node's view of the shared clock: the same wall clock, its own monotonic origin. */
class NodeClock implements Clock {
  constructor(private readonly base: FakeClock, private readonly skew: number) {}
  now(): number {
    return this.base.now();
  }
  mono(): number {
    return this.base.mono() + this.skew;
  }
  setTimer(ms: number, fn: () => void): () => void {
    return this.base.setTimer(ms, fn);
  }
}

interface Msg {
  from: string;
  to: string | null;
  kind: string;
  payload: string;
}

export const HEARTBEAT_MS = 100;
export const TIMEOUT_MS = 500;

/** A registry whose contents a Redis restart loses: calls go to the current instance. */
function resettable<T extends object>(make: () => T): { api: T; reset(): void } {
  let cur = make();
  const api = new Proxy({} as T, { get: (_t, k) => (...args: unknown[]) => (cur as any)[k](...args) });
  return { api, reset: () => (cur = make()) };
}

export class World {
  readonly clock = new FakeClock();
  readonly nodes = new Map<string, BuzzNode>();
  readonly names: NameStore = new MemoryNameStore();
  private ids = 0;
  private readonly dir = resettable<PoolDirectory>(() => new MemoryPoolDirectory());
  private readonly reg = resettable<PhoneRegistry>(() => new MemoryPhoneRegistry(DEFAULT_KEEP_MS, () => `phone-id-${String(++this.ids).padStart(8, "0")}`));
  private readonly lead = resettable<LeaderStore>(() => new MemoryLeaderStore());
  get directory(): PoolDirectory {
    return this.dir.api;
  }
  get registry(): PhoneRegistry {
    return this.reg.api;
  }
  get leaders(): LeaderStore {
    return this.lead.api;
  }
  /** In flight, in the order sent (Redis keeps one sender's messages in order). */
  private readonly queue: Msg[] = [];
  /** Every node message delivered, for looking at the traffic. */
  readonly traffic: Array<{ from: string; to: string; kind: string }> = [];

  add(id: string, skew = 0): BuzzNode {
    const n = new BuzzNode(this, id, new NodeClock(this.clock, skew));
    this.nodes.set(id, n);
    return n;
  }

  port(node: BuzzNode): BuzzerPort {
    const handlers = new Map<string, Handler>();
    node.handlers = handlers;
    return {
      link: {
        nodeId: node.id,
        on: (kind, fn) => void handlers.set(kind, fn as Handler),
        send: (to, kind, payload) => void this.queue.push({ from: node.id, to, kind, payload: JSON.stringify(payload) }),
      },
      bus: {
        handle: (_prefix, fn) => void (node.onTopic = fn),
        retain: (topic) => void node.interest.set(topic, (node.interest.get(topic) ?? 0) + 1),
        release: (topic) => void node.interest.set(topic, (node.interest.get(topic) ?? 1) - 1),
        emit: (topic, data) => void this.queue.push({ from: node.id, to: null, kind: topic, payload: data }),
      },
      directory: this.directory,
      registry: this.registry,
      leaders: this.leaders,
      onGone: (fn) => void node.goneFns.push(fn),
      onReap: (fn) => void node.reapFns.push(fn),
      onResync: (fn) => void node.resyncFns.push(fn),
      alive: (n) => this.nodes.get(n)?.up === true,
      ready: () => node.ready,
      heartbeatMs: HEARTBEAT_MS,
      timeoutMs: TIMEOUT_MS,
      reaped: async () => node.reaped,
    };
  }

  /** Deliver everything in flight (and what that makes), letting promises run in between. */
  async settle(): Promise<void> {
    for (let round = 0; round < 500; round++) {
      await settle();
      if (this.queue.length === 0) return;
      while (this.queue.length > 0) {
        const m = this.queue.shift()!;
        const from = this.nodes.get(m.from);
        if (!from?.reaches) continue;
        if (m.to === null) {
          for (const n of this.nodes.values()) if (n.id !== m.from && n.reaches && (n.interest.get(m.kind) ?? 0) > 0) n.onTopic?.(m.kind, m.payload);
          continue;
        }
        const target = this.nodes.get(m.to);
        if (!target?.reaches) continue;
        this.traffic.push({ from: m.from, to: m.to, kind: m.kind });
        target.handlers.get(m.kind)?.(JSON.parse(m.payload), m.from);
      }
    }
    throw new Error("the nodes never went quiet");
  }

  /** Time passes (timers fire: heartbeats, timeouts), in small steps with everything delivered in between. */
  async pass(ms: number, step = 10): Promise<void> {
    await this.settle();
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.settle();
    }
  }

  /** A node dies: the others see it gone, and one of them clears up after it. */
  async kill(id: string): Promise<void> {
    const dead = this.nodes.get(id)!;
    dead.up = false;
    dead.ready = false;
    this.nodes.delete(id);
    for (const n of this.nodes.values()) for (const fn of n.goneFns) fn(id);
    const reaper = [...this.nodes.values()][0];
    for (const fn of reaper?.reapFns ?? []) await fn(id);
    await this.settle();
  }

  /** A node is cut off from Redis for longer than the node timeout: it reports not ready; the others see it gone. */
  async cut(id: string): Promise<void> {
    const n = this.nodes.get(id)!;
    n.ready = false;
    n.cut = true;
    await this.pass(HEARTBEAT_MS * 2);
    for (const o of this.nodes.values()) if (o !== n) for (const fn of o.goneFns) fn(id);
    const reaper = [...this.nodes.values()].find((o) => o !== n);
    for (const fn of reaper?.reapFns ?? []) await fn(id);
    n.reaped = true;
    await this.settle();
  }

  /** Back in reach of Redis: the node resynchronises. */
  async heal(id: string): Promise<void> {
    const n = this.nodes.get(id)!;
    n.ready = true;
    n.cut = false;
    for (const fn of n.resyncFns) await fn();
    n.reaped = false;
    await this.pass(HEARTBEAT_MS * 2);
  }

  /** Redis restarts and loses everything; every node comes back and resynchronises. */
  async restartRedis(): Promise<void> {
    this.dir.reset();
    this.reg.reset();
    this.lead.reset();
    for (const n of this.nodes.values()) for (const fn of n.resyncFns) await fn();
    await this.pass(HEARTBEAT_MS * 2);
  }
}

interface FakePool {
  spec: PoolSpec;
  sink: PoolSink;
  closed: boolean;
  colors: Array<[number, number[]]>;
}

/** A client socket of one node. */
export class Sock extends FakeConn<MediatorClient> {
  constructor(readonly node: BuzzNode, hub: FakeHub, operator: boolean) {
    super(hub, operator);
  }
  /** Send a command, as a client would. */
  say(msg: object | string): void {
    this.node.net.message(this.state, typeof msg === "string" ? msg : JSON.stringify(msg));
  }
  /** Frames received since the last call, parsed. */
  got(): any[] {
    return this.takeJson();
  }
  /** The replies (not events) received since the last call. */
  replies(): any[] {
    return this.got().filter((m) => !("event" in m));
  }
  /** Either side closes it: the node's close handlers run, as the seam would run them. */
  override close(code: number, reason?: string): void {
    const first = this.closedWith === null;
    super.close(code, reason);
    if (!first) return;
    this.unsubscribe(EVENTS_TOPIC);
    this.node.net.closed(this.state);
    this.node.mediator.close(this.state);
  }
  /** Close from the client's side. */
  leave(): void {
    this.close(1000);
  }
}

export class BuzzNode {
  up = true;
  ready = true;
  cut = false;
  /** Another node cleared up after it (the reap lock is in Redis). */
  reaped = false;
  readonly hub = new FakeHub();
  handlers = new Map<string, Handler>();
  onTopic: ((topic: string, data: string) => void) | null = null;
  readonly interest = new Map<string, number>();
  readonly goneFns: Array<(node: string) => void> = [];
  readonly reapFns: Array<(node: string) => Promise<void> | void> = [];
  readonly resyncFns: Array<() => Promise<void> | void> = [];
  readonly opened: FakePool[] = [];
  readonly net: BuzzerCluster;
  readonly mediator: Mediator;

  constructor(readonly world: World, readonly id: string, readonly clock: NodeClock) {
    this.net = new BuzzerCluster({
      port: world.port(this),
      local: this.hub,
      clock,
      log: silentLogger,
      connectTimeoutMs: 3000,
      maxHeld: 20,
      rateLimited: '{"error":"rate_limited","message":"too many messages waiting: slow down","cause":null}',
    });
    this.mediator = new Mediator({
      clock,
      topics: this.net.topics(),
      connectTimeoutMs: 3000,
      discover: () => [],
      vet: (spec) => (spec.id.startsWith("/dev/") ? null : `'${spec.id}' is not a device the operator allows (--pool, --pool-allow)`),
      openPool: (spec, sink) => {
        const p: FakePool = { spec, sink, closed: false, colors: [] };
        this.opened.push(p);
        return { colors: spec.kind === "serial", setColor: (b, rgb) => (p.colors.push([b, rgb]), true), close: () => void (p.closed = true) };
      },
      names: world.names,
      settleMs: 150,
      falseStartMs: 250,
      quiz: (d) => this.net.makeQuiz(d),
      changed: (id) => this.net.changed(id),
    });
    this.net.attach(this.mediator);
  }

  /** Delivered to and from the others: alive and in reach of Redis. */
  get reaches(): boolean {
    return this.up && this.ready;
  }

  /** A client socket on this node (an operator unless said otherwise). */
  client(operator = true): Sock {
    const s = new Sock(this, this.hub, operator);
    s.subscribe(EVENTS_TOPIC);
    s.state = this.mediator.open(s);
    this.net.opened(s.state);
    return s;
  }

  /** The device of pool `id` opened here last. */
  device(id: string): FakePool {
    const p = this.opened.filter((x) => x.spec.id === id).at(-1);
    if (!p) throw new Error(`no device ${id} opened on ${this.id}`);
    return p;
  }

  /** A configured pool whose receiver answers at once with these buzzers. */
  plug(id: string, buzzers: number[]): FakePool {
    this.mediator.startConfigured([id]);
    const p = this.device(id);
    p.sink.up(buzzers);
    return p;
  }
}
