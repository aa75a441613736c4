// Several nodes for the buzzer mediator (docs/cluster.md#buzzer): pools are the devices of the
// node they are plugged into. A directory in Redis says which node holds each pool, so `list`
// answers for every node and a command for a pool goes to its node (remote.ts); events reach every
// node's sockets on the events topic, each in its node's own clock (wall.ts); the quiz game and
// the phones are the cluster's (cluster-quiz.ts); a socket's commands are handled in front.ts.
// This file is the wiring: the events topic, commands run here for other nodes' sockets, the
// directory entries of this node's pools, departures, Redis restarts, being cut off from Redis.
import type { Logger } from "../../log.ts";
import type { Clock, Topics } from "../../transport/types.ts";
import { encode } from "./codec.ts";
import { ClusterQuiz } from "./cluster-quiz.ts";
import { BuzzerFront } from "./front.ts";
import type { PoolEntry } from "./directory.ts";
import { PHONES_POOL } from "./phones.ts";
import type { BuzzerPort } from "./port.ts";
import type { QuizDeps } from "./quiz.ts";
import { Calls, K, StandIns, type CloseMsg, type CmdMsg, type ConnMsg, type NodeLink, type PhoneMsg, type ReplyMsg } from "./remote.ts";
import { EVENTS_TOPIC, type Mediator, type MediatorClient } from "./state.ts";
import { WallClock, retime } from "./wall.ts";

export { buzzerPort, type BuzzerPort } from "./port.ts";

export interface BuzzerClusterDeps {
  port: BuzzerPort;
  /** This node's own sockets' topics. */
  local: Topics;
  clock: Clock;
  log: Logger;
  /** How long a connect waits for a receiver's handshake (a connect on another node waits that much longer). */
  connectTimeoutMs: number;
  /** Frames a socket may have waiting while one of its commands is answered elsewhere. */
  maxHeld: number;
  /** The reply when they are too many (then close 1008). */
  rateLimited: string;
}

/** A command or a directory call waits at most this many node timeouts. */
const WAIT_TIMEOUTS = 2;

const us = (ms: number) => Math.round(ms * 1000) / 1000;

export class BuzzerCluster {
  readonly wall: WallClock;
  readonly calls: Calls;
  quiz!: ClusterQuiz;
  private mediator!: Mediator;
  /** Sends only while Redis is in reach: cut off for the node timeout, the others have given this node up. */
  private readonly link: NodeLink;
  private front!: BuzzerFront;
  /** Stand-ins of other nodes' sockets, by `${conn}@${node}`. */
  private standIns!: StandIns;
  /** Nodes seen gone (and when), until presence counts them alive again. */
  private readonly departed = new Map<string, number>();
  private readonly warned = new Set<string>();
  private wasReady = true;
  /** Cut off long enough that the others reaped this node: its pools and phones are announced again. */
  private cut = false;
  private stopping = false;
  private cancelTimer: (() => void) | null = null;
  private resyncing: Promise<void> = Promise.resolve();
  started: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BuzzerClusterDeps) {
    const { port } = deps;
    this.wall = new WallClock(deps.clock);
    this.link = { nodeId: port.link.nodeId, on: (k, fn) => port.link.on(k, fn), send: (n, k, p) => void (this.live() && port.link.send(n, k, p)) };
    this.calls = new Calls({ link: this.link, wall: this.wall, setTimer: (ms, fn) => deps.clock.setTimer(ms, fn) });
  }

  private get node(): string {
    return this.link.nodeId;
  }

  private live(): boolean {
    return !this.stopping && this.deps.port.ready();
  }

  private get waitMs(): number {
    return this.deps.port.timeoutMs * WAIT_TIMEOUTS;
  }

  /** The Topics the mediator publishes its events to: this node's sockets, and the other nodes in this node's clock offset. */
  topics(): Topics {
    return { publish: (topic, data) => (this.deps.local.publish(topic, data), this.emit(topic, data)) };
  }

  private emit(topic: string, data: string): void {
    if (this.live()) this.deps.port.bus.emit(topic, `${this.wall.offset()}\n${data}`);
  }

  /** The quiz the mediator is given. */
  makeQuiz(d: QuizDeps): ClusterQuiz {
    const { port, log } = this.deps;
    return (this.quiz = new ClusterQuiz(d, {
      link: this.link,
      wall: this.wall,
      calls: this.calls,
      registry: port.registry,
      leaders: port.leaders,
      local: this.deps.local,
      ready: () => this.live(),
      alive: (n) => this.alive(n),
      within: (w) => this.within(w),
      waitMs: this.waitMs,
      ttlMs: port.timeoutMs,
      heartbeatMs: port.heartbeatMs,
      pools: () => this.front.pools(),
      log,
    }));
  }

  attach(mediator: Mediator): void {
    const { port } = this.deps;
    this.mediator = mediator;
    const d = this.deps;
    this.standIns = new StandIns({ link: this.link, wall: this.wall, log: d.log, calls: this.calls, open: (c) => mediator.open(c), close: (mc) => mediator.close(mc) });
    this.front = new BuzzerFront({
      mediator,
      quiz: this.quiz,
      calls: this.calls,
      link: this.link,
      bus: port.bus,
      directory: port.directory,
      registry: port.registry,
      live: () => this.live(),
      alive: (n) => this.alive(n),
      within: (w) => this.within(w),
      waitMs: this.waitMs,
      connectTimeoutMs: d.connectTimeoutMs,
      maxHeld: d.maxHeld,
      rateLimited: d.rateLimited,
    });
    const on = <P>(kind: string, fn: (p: P, from: string) => void) =>
      this.link.on<P>(kind, (p, from) => {
        try {
          fn(p, from);
        } catch (err) {
          this.deps.log.error("buzzer node message failed", { kind, from, err: err as Error });
        }
      });
    on<CmdMsg>(K.cmd, (m, from) => void mediator.command(this.standIns.get(from, m.c, m.s), m.m));
    on<PhoneMsg>(K.phone, (m, from) => this.quiz.phoneFrom(this.standIns.get(from, m.c, m.s).conn, m.b, m.w));
    on<ReplyMsg>(K.reply, (m, from) => this.calls.answer(m, from));
    on<CloseMsg>(K.close, (m) => this.connById(m.c)?.close(m.code, m.reason));
    on<ConnMsg>(K.end, (m, from) => this.standIns.end(from, m.c));
    port.bus.handle(EVENTS_TOPIC, (topic, data) => this.heard(topic, data));
    port.onGone((node) => this.gone(node));
    port.onReap((node) => this.reap(node));
    port.onResync(() => this.resync());
    // Entries of this node's previous run (restarted under the same --node-id before anyone saw it gone).
    this.started = this.forget(this.node, "start").then(() => this.quiz.leadership.tick());
    this.watch();
  }

  // ---- this node's sockets (front.ts) ----

  opened(mc: MediatorClient): void {
    this.front.opened(mc);
  }

  message(mc: MediatorClient, raw: string): void {
    this.front.message(mc, raw);
  }

  closed(mc: MediatorClient): void {
    this.front.closed(mc);
  }

  /** A socket of this node, or a stand-in here for another node's. */
  private connById(id: number) {
    return id > 0 ? this.front.conn(id) : this.standIns.byId(id);
  }

  // ---- the pool directory ----

  /** A pool of this node was opened, changed or removed: its entry, written before its event goes out. */
  changed(id: string): void {
    if (!this.live()) return; // put back when Redis is in reach again
    const { directory } = this.deps.port;
    const v = this.mediator.poolViews().find((p) => p.id === id);
    const failed = (e: Error) => this.deps.log.debug("buzzer pool directory: write failed", { pool: id, err: e.message });
    if (!v) return void directory.remove(id, this.node).catch(failed);
    void directory.put({ pool: id, node: this.node, up: v.up, buzzers: v.buzzers, colors: v.colors }).then((holder) => this.taken(id, holder), failed);
  }

  private taken(id: string, holder: string): void {
    if (holder === this.node || this.warned.has(id)) return;
    this.warned.add(id);
    this.deps.log.warn("buzzer pool id held by another node: give each node's devices distinct paths", { pool: id, node: holder });
  }

  private entriesHere(): PoolEntry[] {
    return this.mediator.poolViews().map((v) => ({ pool: v.id, node: this.node, up: v.up, buzzers: v.buzzers, colors: v.colors }));
  }

  // ---- events from other nodes ----

  private heard(topic: string, data: string): void {
    const nl = data.indexOf("\n");
    if (nl < 0) return;
    let frame: string;
    let m: Record<string, unknown>;
    try {
      frame = retime(data.slice(nl + 1), Number(data.slice(0, nl)) - this.wall.offset());
      m = JSON.parse(frame) as Record<string, unknown>;
    } catch {
      return;
    }
    this.deps.local.publish(topic, frame);
    this.quiz.observe(m);
  }

  // ---- departures, Redis restarts, being cut off ----

  /**
   * May this node's pools be listed, and commands be sent to it? Not once it was seen gone, until
   * presence counts it alive again at a later heartbeat (while the departure is being handled,
   * presence still lists it). A node just started counts as alive.
   */
  private alive(node: string): boolean {
    const since = this.departed.get(node);
    if (since === undefined) return true;
    if (this.deps.clock.mono() - since < this.deps.port.heartbeatMs * 2 || !this.deps.port.alive(node)) return false;
    this.departed.delete(node);
    return true;
  }

  private gone(node: string): void {
    this.departed.set(node, this.deps.clock.mono());
    this.calls.lose(node);
    this.calls.forgetNode(node);
    this.standIns.endAll(node);
    void this.quiz.leadership.gone(node);
  }

  /** On one node: a node is gone; its pools and phones leave, and every node's sockets hear it. */
  private async reap(node: string): Promise<void> {
    await this.forget(node, "reap");
  }

  /**
   * A node's entries go: its pools as if unplugged, its phones as if their pages closed. A pool id
   * this node holds itself is not announced (at start: this run's own pool, announced by its
   * events). Stopping, this node's own sockets are about to close: only the others are told.
   */
  private async forget(node: string, why: "start" | "reap" | "stop"): Promise<void> {
    const { directory, registry } = this.deps.port;
    const pools = await this.within(directory.reap(node)).catch(() => []);
    const ts = us(this.deps.clock.mono());
    const tell = (frame: string) => (why === "stop" ? this.emit(EVENTS_TOPIC, frame) : this.topics().publish(EVENTS_TOPIC, frame));
    for (const e of pools) if (e.up && (why === "stop" || !this.mediator.holds(e.pool))) tell(encode.event("disconnected", e.pool, null, ts));
    const phones = await this.within(registry.reap(node, this.deps.clock.now())).catch(() => []);
    for (const b of phones) tell(encode.event("disconnected", PHONES_POOL, b, ts));
  }

  /**
   * Redis is back (it may have restarted and lost everything): this node's pools and phones go
   * back in, and the lead is looked at again. If the others had given this node up (it was cut
   * off, and cleared up after), what they dropped is announced to them again, as a receiver that
   * comes back is; what is still in Redis was never dropped (or is announced already). One at a time.
   */
  private resync(): Promise<void> {
    const run = (this.resyncing = this.resyncing.then(() => this.restore()).catch((e: Error) => this.deps.log.warn("buzzer resync failed", { err: e.message })));
    return run;
  }

  private async restore(): Promise<void> {
    const { directory, registry } = this.deps.port;
    const [listed, phonesListed] = await Promise.all([directory.all(), registry.heldBy(this.node)]);
    const had = new Set(listed.filter((e) => e.node === this.node).map((e) => e.pool));
    const here = this.entriesHere();
    for (const id of await directory.restore(this.node, here)) this.taken(id, "another node");
    const lost = await registry.restore(this.node, this.quiz.heldPhones(), this.deps.clock.now());
    this.quiz.lost(lost, (id) => this.front.conn(id));
    await this.quiz.leadership.tick();
    this.quiz.resynced();
    // Out of reach for a moment only (Redis restarted): nobody was told this node went.
    const dropped = this.cut || (await this.deps.port.reaped().catch(() => false));
    this.cut = false;
    if (!dropped) return;
    const ts = us(this.deps.clock.mono());
    for (const e of here) if (e.up && !had.has(e.pool)) for (const b of e.buzzers) this.emit(EVENTS_TOPIC, encode.event("connected", e.pool, b, ts));
    const kept = new Set(phonesListed);
    for (const p of this.quiz.heldPhones()) if (!kept.has(p.buzzer)) this.emit(EVENTS_TOPIC, encode.event("connected", PHONES_POOL, p.buzzer, ts));
  }

  /** Every heartbeat: the lead, and whether this node has been cut off from Redis for the node timeout. */
  private watch(): void {
    this.cancelTimer = this.deps.clock.setTimer(this.deps.port.heartbeatMs, () => {
      const ready = this.deps.port.ready();
      if (this.wasReady && !ready) {
        this.deps.log.warn("cut off from Redis: the buzzer pools and game of this node go on for its own sockets");
        this.cut = true;
        void this.quiz.leadership.tick();
        this.calls.lose(null);
        this.standIns.endAll(null);
      } else void this.quiz.leadership.tick();
      this.wasReady = ready;
      this.watch();
    });
  }

  /** Bounds a Redis call: an outage queues commands until Redis is back. */
  within<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.deps.clock.setTimer(this.waitMs, () => reject(new Error("redis did not answer in time")));
      work.then(
        (v) => (cancel(), resolve(v)),
        (e) => (cancel(), reject(e)),
      );
    });
  }

  /**
   * Stopping in order: every node's sockets hear at once that this node's pools and phones are
   * gone, its entries leave the directory, and its lead is free for the next node.
   */
  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.deps.port.ready()) {
      await this.forget(this.node, "stop").catch(() => {});
      await this.within(this.deps.port.leaders.drop(this.node)).catch(() => {});
    }
    this.stopping = true;
    this.calls.lose(null);
    this.quiz.stop();
  }
}
