// Several nodes (docs/cluster.md#buzzer): one quiz game for the whole cluster. The leader
// (leader.ts) runs the Game; every other node sends it the presses of its pools and phones, with
// their press times as wall-clock time (wall.ts), and its sockets' game commands (remote.ts). The
// phones of every node make one `phones` pool, registered in Redis (phone-registry.ts); the clock
// estimate of a phone stays with the node that holds its socket. The game's events reach every
// node through the events topic; a node cut off from Redis runs a game for its own sockets.
import type { Logger } from "../../log.ts";
import { Close } from "../../transport/close-codes.ts";
import type { Conn, Topics } from "../../transport/types.ts";
import { encode, type PoolBuzzers } from "./codec.ts";
import { phonesOutOfReach } from "./errors.ts";
import { Leadership, type LeaderStore, type Role } from "./leader.ts";
import { notJoined, PHONES_POOL } from "./phones.ts";
import type { PhoneRegistry } from "./phone-registry.ts";
import { Quiz, type QuizCommand, type QuizDeps } from "./quiz.ts";
import { K, type Calls, type ConnMsg, type NodeLink, type PressMsg, type RenameMsg } from "./remote.ts";
import type { WallClock } from "./wall.ts";

export interface QuizNet {
  /** The node channels (sends only while Redis is in reach). */
  link: NodeLink;
  wall: WallClock;
  calls: Calls;
  registry: PhoneRegistry;
  leaders: LeaderStore;
  /** This node's own sockets. */
  local: Topics;
  ready(): boolean;
  alive(node: string): boolean;
  within<T>(work: Promise<T>): Promise<T>;
  /** How long a command waits for another node; the lead's time to live. */
  waitMs: number;
  ttlMs: number;
  heartbeatMs: number;
  /** `list buzzers` of the whole cluster: the device pools connected on every node, then the phones. */
  pools(): Promise<PoolBuzzers[]>;
  log: Logger;
}

type GameCommand = Extract<QuizCommand, { kind: "arm" | "reset" | "set_name" | "list_round" | "list_names" }>;

/** A game command is sent to a leader that does not answer at most this many times; then the socket is closed (1012). */
const TRIES = 3;

interface Played {
  phoneId: string;
  buzzer: number;
  name: string;
}

const us = (ms: number) => Math.round(ms * 1000) / 1000;

export class ClusterQuiz extends Quiz {
  readonly leadership: Leadership;
  /** The phones this node's sockets play. */
  private readonly played = new Map<number, Played>();
  private readonly joining = new Set<number>();
  private readonly closedWhileJoining = new Set<number>();
  /** The highest round seen in any node's events. */
  private lastRound = 0;
  /** Game commands waiting for a leader. */
  private waiters: Array<() => void> = [];

  constructor(deps: QuizDeps, private readonly net: QuizNet) {
    super(deps);
    const node = net.link.nodeId;
    this.leadership = new Leadership({
      node,
      store: net.leaders,
      ttlMs: net.ttlMs,
      now: () => deps.clock.now(),
      ready: () => net.ready(),
      alive: (n) => net.alive(n),
      within: (w) => net.within(w),
      changed: (prev, next, _leader, info) => this.changed(prev, next, info),
    });
    net.link.on<PressMsg>(K.press, (m) => this.press(m.p, m.b, net.wall.mono(m.w)));
    net.link.on<RenameMsg>(K.rename, (m) => this.renameOnLeader(m.p, m.b, m.n));
    net.link.on<ConnMsg>(K.drop, (m) => void this.played.delete(m.c));
  }

  /** This node runs the game its sockets see: it leads, or it is cut off from the others. */
  private get leading(): boolean {
    const r = this.leadership.role;
    return r === "lead" || r === "alone";
  }

  override run(conn: Conn, cmd: QuizCommand): void | Promise<void> {
    switch (cmd.kind) {
      case "phone_join":
        return this.join(conn, cmd.name, cmd.phoneId);
      case "sync_time":
        return super.run(conn, cmd);
      case "press":
        return this.phonePress(conn, cmd.clientTs);
      default:
        return this.forward(conn, cmd);
    }
  }

  /** A device's press (its raw event already sent), for whichever node runs the game. */
  override press(pool: string, buzzer: number, at: number): void {
    if (this.leading) return super.press(pool, buzzer, at);
    const leader = this.leadership.leader;
    if (leader !== null) this.net.link.send(leader, K.press, { p: pool, b: buzzer, w: this.net.wall.wall(at) } satisfies PressMsg);
  }

  /** On the leader: a phone's press that another node's socket made, answered on its stand-in. */
  phoneFrom(conn: Conn, buzzer: number, wall: number): void {
    const at = this.net.wall.mono(wall);
    if (!this.leading) return conn.send(encode.pressed(this.lastRound, buzzer, us(at), "round_over"));
    const r = this.game.press({ pool: PHONES_POOL, buzzer, at });
    conn.send(encode.pressed(r.round, buzzer, us(r.at), r.outcome));
  }

  /** A frame of another node's events: the rounds it speaks of, and names set there. */
  observe(m: { event?: unknown; round?: unknown; pool?: unknown; buzzer?: unknown; name?: unknown }): void {
    if (typeof m.round === "number") this.lastRound = Math.max(this.lastRound, m.round);
    if (m.event === "named" && typeof m.pool === "string" && typeof m.buzzer === "number") this.game.remember(m.pool, m.buzzer, (m.name as string | null) ?? null);
  }

  /** This node's phones, to put back into the registry (Redis came back). */
  heldPhones(): Array<{ conn: number; phoneId: string; buzzer: number; name: string }> {
    return [...this.played].map(([conn, p]) => ({ conn, ...p }));
  }

  /** Phones that lost their buzzer while the registry was away: they join again. */
  lost(conns: number[], byId: (id: number) => Conn | undefined): void {
    for (const c of conns) {
      this.played.delete(c);
      byId(c)?.close(Close.nodeGone, "the phone's buzzer went to another phone while the registry was out of reach: join again");
    }
  }

  /** Redis came back: the round this node leads goes back in (a restarted Redis lost it). */
  resynced(): void {
    if (this.leadership.role === "lead") void this.net.within(this.net.leaders.saveRound(this.game.snapshot().round)).catch(() => {});
  }

  override phonesPool(): PoolBuzzers | null {
    const buzzers = [...this.played.values()].map((p) => p.buzzer).sort((a, b) => a - b);
    return buzzers.length ? { pool: PHONES_POOL, buzzers } : null;
  }

  protected override namedPools(): Promise<PoolBuzzers[]> {
    return this.net.pools();
  }

  override close(conn: Conn): void {
    this.phones.forget(conn.id);
    if (this.joining.has(conn.id)) this.closedWhileJoining.add(conn.id);
    const p = this.played.get(conn.id);
    if (!p) return;
    this.played.delete(conn.id);
    this.deps.event("disconnected", PHONES_POOL, p.buzzer);
    if (this.net.ready()) this.leave(conn.id);
  }

  override stop(): void {
    super.stop();
    this.waiters = [];
  }

  protected override publishGame(frame: string): void {
    // Only the leader's game is the cluster's; what another node's game says stays with its sockets.
    if (this.leadership.role === "lead") super.publishGame(frame);
    else this.net.local.publish(this.deps.topic, frame);
  }

  protected override runGame(conn: Conn, cmd: GameCommand): void | Promise<void> {
    const r = super.runGame(conn, cmd);
    if (cmd.kind === "arm" && this.leadership.role === "lead") void this.net.within(this.net.leaders.saveRound(this.game.snapshot().round)).catch(() => {});
    return r;
  }

  /** A game command: run here if this node runs the game, else on the leader (again on the next one if it goes). */
  private forward(conn: Conn, cmd: GameCommand): Promise<void> | void {
    if (this.leading) return this.runGame(conn, cmd);
    return new Promise<void>((resolve) => {
      let tries = 0;
      const go = () => {
        if (this.leading) return resolve(this.runGame(conn, cmd));
        const leader = this.leadership.leader;
        if (leader === null) return this.whenLed(go);
        let lost = false;
        void this.net.calls.call(conn, leader, K.cmd, { m: cmd }, this.net.waitMs, () => (lost = true)).then(() => {
          if (!lost) return resolve();
          if (++tries >= TRIES) {
            conn.close(Close.nodeGone, "the quiz game's node does not answer");
            return resolve();
          }
          if (this.leading || this.leadership.leader !== leader) go();
          else this.whenLed(go);
        });
      };
      go();
    });
  }

  /** Run fn when the lead changes, or after two heartbeats. */
  private whenLed(fn: () => void): void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      cancel();
      fn();
    };
    const cancel = this.deps.clock.setTimer(this.net.heartbeatMs * 2, once);
    this.waiters.push(once);
  }

  private changed(prev: Role, next: Role, info: { round: number; continues: boolean }): void {
    this.lastRound = Math.max(this.lastRound, info.round);
    if (next === "lead" && !info.continues) this.freshGame();
    else if (next === "alone" && prev !== "lead") this.freshGame();
    else if (next === "follow" && (prev === "lead" || prev === "alone")) this.game.reset(); // to this node's sockets only
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /**
   * A game of this node's from now on, idle, its rounds going on from the highest one seen: the
   * last leader's round is over. Its `reset` tells the boards (every node's, if this node leads).
   */
  private freshGame(): void {
    const round = Math.max(this.lastRound, this.game.snapshot().round);
    this.game.stop();
    this.game = this.newGame(round);
    this.game.reset();
  }

  private phonePress(conn: Conn, clientTs: number): void | Promise<void> {
    const p = this.played.get(conn.id);
    if (!p) return this.deps.fail(conn, notJoined());
    const { at, recv } = this.phones.convert(conn.id, clientTs);
    // The raw event as for every pool: this node's receive time; the game gets the phone's press time.
    this.deps.event("buzz", PHONES_POOL, p.buzzer, recv);
    if (this.leading) {
      const r = this.game.press({ pool: PHONES_POOL, buzzer: p.buzzer, at });
      return conn.send(encode.pressed(r.round, p.buzzer, us(r.at), r.outcome));
    }
    // Pressed in a round whose game is gone before it could say (its node died, or this one is cut off).
    const over = () => conn.send(encode.pressed(this.lastRound, p.buzzer, us(at), "round_over"));
    const leader = this.leadership.leader;
    if (leader === null) return over();
    return this.net.calls.call(conn, leader, K.phone, { b: p.buzzer, w: this.net.wall.wall(at) }, this.net.waitMs, over);
  }

  private async join(conn: Conn, name: string, phoneId: string | null): Promise<void> {
    if (!this.net.ready()) return this.deps.fail(conn, phonesOutOfReach());
    const node = this.net.link.nodeId;
    this.joining.add(conn.id);
    const r = await this.net.within(this.net.registry.join({ node, conn: conn.id }, name, phoneId, this.deps.clock.now())).catch(() => null);
    this.joining.delete(conn.id);
    if (this.closedWhileJoining.delete(conn.id)) {
      if (r && !("error" in r)) this.leave(conn.id);
      return;
    }
    if (r === null) return this.deps.fail(conn, phonesOutOfReach());
    if ("error" in r) return this.deps.fail(conn, r);
    if (r.left !== null) this.deps.event("disconnected", PHONES_POOL, r.left);
    if (r.replaced) {
      if (r.replaced.node === node) this.played.delete(r.replaced.conn);
      else this.net.link.send(r.replaced.node, K.drop, { c: r.replaced.conn } satisfies ConnMsg);
    }
    this.played.set(conn.id, { phoneId: r.phoneId, buzzer: r.buzzer, name: r.name });
    conn.send(encode.phoneJoined(r.buzzer, r.phoneId, r.name));
    if (r.connected) this.deps.event("connected", PHONES_POOL, r.buzzer);
    // A new phone, or a player who changed the name: it becomes the buzzer's name (on the leader).
    if (r.nameChanged) this.renameOnLeader(PHONES_POOL, r.buzzer, r.name);
    else void this.game.prefetch(PHONES_POOL, [r.buzzer]);
  }

  private renameOnLeader(pool: string, buzzer: number, name: string | null): void {
    if (this.leading) return void this.rename(pool, buzzer, name).catch(() => {});
    const leader = this.leadership.leader;
    if (leader !== null) this.net.link.send(leader, K.rename, { p: pool, b: buzzer, n: name } satisfies RenameMsg);
  }

  private leave(conn: number): void {
    const at = { node: this.net.link.nodeId, conn };
    void this.net.within(this.net.registry.leave(at, this.deps.clock.now())).catch((e: Error) => this.net.log.debug("phones registry: leave failed", { err: e.message }));
  }
}
