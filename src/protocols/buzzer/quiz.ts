// The quiz on /mediator, wired (docs/buzzer.md#the-game, docs/buzzer.md#phones-as-buzzers): the
// game's commands, the phones pool, and the presses of every pool fed to the game. Pure like the
// mediator it belongs to: frames go out through Topics and Conn, time comes from the Clock.
import type { Clock, Conn, Topics } from "../../transport/types.ts";
import { encode, type BuzzerName, type Command, type EventKind, type PoolBuzzers } from "./codec.ts";
import { storageUnavailable, type ErrorReply } from "./errors.ts";
import { Game, type NameStore } from "./game.ts";
import { Phones, PHONES_POOL } from "./phones.ts";

export interface QuizDeps {
  clock: Clock;
  topics: Topics;
  /** The events topic every client of the endpoint subscribes to. */
  topic: string;
  names: NameStore;
  settleMs: number;
  falseStartMs: number;
  newPhoneId?: () => string;
  /** Publishes a raw event (buzz, connected, disconnected) at `ts` (default now); returns its ts. */
  event(kind: EventKind, pool: string, buzzer: number | null, ts?: number): number;
  /** The device pools connected now, with their buzzers (`list names`). */
  devicePools(): PoolBuzzers[];
  /** An error reply, counted like every other. */
  fail(conn: Conn, reply: ErrorReply): void;
}

/** The commands this module answers. */
export type QuizCommand = Extract<Command, { kind: "arm" | "reset" | "set_name" | "list_round" | "list_names" | "phone_join" | "sync_time" | "press" }>;
const KINDS: ReadonlySet<Command["kind"]> = new Set(["arm", "reset", "set_name", "list_round", "list_names", "phone_join", "sync_time", "press"]);
export const isQuizCommand = (cmd: Command): cmd is QuizCommand => KINDS.has(cmd.kind);

/** What the mediator asks of the quiz: this node's own (Quiz), or the one game of several nodes (docs/cluster.md#buzzer). */
export interface QuizPort {
  /** A promise while the reply waits (several nodes only). */
  run(conn: Conn, cmd: QuizCommand): void | Promise<void>;
  press(pool: string, buzzer: number, at: number): void;
  prefetch(pool: string, buzzers: number[]): void;
  /** The phones pool as `list buzzers` shows it on this node. */
  phonesPool(): PoolBuzzers | null;
  close(conn: Conn): void;
  stop(): void;
  /** A buzzer's name as known here (the status feed). */
  nameOf(pool: string, buzzer: number): string | null;
}

type GameCommand = Extract<QuizCommand, { kind: "arm" | "reset" | "set_name" | "list_round" | "list_names" }>;

export class Quiz implements QuizPort {
  protected game: Game;
  readonly phones: Phones;
  /** Event frames held back while a command's reply is built, so the reply goes out first. */
  private held: string[] | null = null;

  constructor(protected readonly deps: QuizDeps) {
    this.game = this.newGame(0);
    this.phones = new Phones({ clock: deps.clock, newPhoneId: deps.newPhoneId });
  }

  /** A game whose rounds go on from `round`. */
  protected newGame(round: number): Game {
    return new Game({
      clock: this.deps.clock,
      publish: (frame) => (this.held ? this.held.push(frame) : this.publishGame(frame)),
      settleMs: this.deps.settleMs,
      falseStartMs: this.deps.falseStartMs,
      names: this.deps.names,
      round,
    });
  }

  /** A game event to every client. */
  protected publishGame(frame: string): void {
    this.deps.topics.publish(this.deps.topic, frame);
  }

  nameOf(pool: string, buzzer: number): string | null {
    return this.game.nameOf(pool, buzzer);
  }

  /** A device pool's press, its raw `buzz` already sent; `at` is the press time (server monotonic ms). */
  press(pool: string, buzzer: number, at: number): void {
    this.game.press({ pool, buzzer, at });
  }

  /** Buzzers that just connected: read their names now, so the first events about them carry them. */
  prefetch(pool: string, buzzers: number[]): void {
    if (buzzers.length) void this.game.prefetch(pool, buzzers);
  }

  /** The phones pool as `list buzzers` shows it: only while a phone is connected. */
  phonesPool(): PoolBuzzers | null {
    const buzzers = this.phones.connected();
    return buzzers.length ? { pool: PHONES_POOL, buzzers } : null;
  }

  run(conn: Conn, cmd: QuizCommand): void {
    const { game, phones } = this;
    switch (cmd.kind) {
      case "arm":
      case "reset":
      case "list_round":
      case "set_name":
      case "list_names":
        return void this.runGame(conn, cmd);
      case "phone_join": {
        const r = phones.join(conn.id, cmd.name, cmd.phoneId);
        if ("error" in r) return this.deps.fail(conn, r);
        if (r.left !== null) this.deps.event("disconnected", PHONES_POOL, r.left);
        conn.send(encode.phoneJoined(r.buzzer, r.phoneId, r.name));
        if (r.connected) this.deps.event("connected", PHONES_POOL, r.buzzer);
        // A new phone, or a player who changed the name: it becomes the buzzer's name. Otherwise
        // an operator's set_name on this phone stays.
        // (a name that could not be stored is still in use; the phone is not bothered with it)
        return conn.watch(r.nameChanged ? this.rename(PHONES_POOL, r.buzzer, r.name).catch(() => {}) : game.prefetch(PHONES_POOL, [r.buzzer]));
      }
      case "sync_time": {
        const r = phones.sync(conn.id, cmd.clientTs, cmd.previous);
        return conn.send(encode.syncTime(r.client_ts, r.server_recv_ts, r.server_send_ts));
      }
      case "press": {
        const p = phones.press(conn.id, cmd.clientTs);
        if ("error" in p) return this.deps.fail(conn, p);
        // The raw event as for every pool: the receive time; the game gets the phone's press time.
        this.deps.event("buzz", PHONES_POOL, p.buzzer, p.recv);
        const r = game.press({ pool: PHONES_POOL, buzzer: p.buzzer, at: p.at });
        return conn.send(encode.pressed(r.round, p.buzzer, us(r.at), r.outcome));
      }
    }
  }

  /** The game's commands; a promise while the reply waits for the database. */
  protected runGame(conn: Conn, cmd: GameCommand): void | Promise<void> {
    const game = this.game;
    switch (cmd.kind) {
      case "arm":
        return this.replyFirst(conn, () => encode.armReply(game.arm()));
      case "reset":
        return this.replyFirst(conn, () => encode.resetReply(game.reset()));
      case "list_round":
        return conn.send(encode.round(game.snapshot()));
      case "set_name": {
        const { pool, buzzer, name } = cmd;
        // A database that cannot write (a full disk) is not a bug: the sender is told, the name stays in use.
        const stored = this.rename(pool, buzzer, name);
        return watched(conn, stored.then(() => conn.send(encode.named(pool, buzzer, name)), () => this.deps.fail(conn, storageUnavailable())));
      }
      case "list_names": {
        const pools = this.namedPools();
        const read = (ps: PoolBuzzers[]) => Promise.all(ps.map((p) => game.prefetch(p.pool, p.buzzers))).then(() => ps);
        const list = (ps: PoolBuzzers[]): BuzzerName[] => ps.flatMap((p) => p.buzzers.map((buzzer) => ({ pool: p.pool, buzzer, name: game.nameOf(p.pool, buzzer) })));
        const loaded = Array.isArray(pools) ? read(pools) : pools.then(read);
        return watched(conn, loaded.then((ps) => conn.send(encode.names(list(ps)))));
      }
    }
  }

  /** The pools `list names` covers: those of `list buzzers`, in its order. */
  protected namedPools(): PoolBuzzers[] | Promise<PoolBuzzers[]> {
    const phones = this.phonesPool();
    return [...this.deps.devicePools(), ...(phones ? [phones] : [])];
  }

  /** A connection closed: the phone it played is away from now. */
  close(conn: Conn): void {
    const buzzer = this.phones.forget(conn.id);
    if (buzzer !== null) this.deps.event("disconnected", PHONES_POOL, buzzer);
  }

  stop(): void {
    this.game.stop();
  }

  /** Every later event carries the name at once, and every client hears of it; resolves once it is stored. */
  protected rename(pool: string, buzzer: number, name: string | null): Promise<void> {
    const stored = this.game.setName(pool, buzzer, name);
    this.deps.topics.publish(this.deps.topic, encode.namedEvent({ pool, buzzer, name }, us(this.deps.clock.mono())));
    return stored;
  }

  /** The reply to the sender, then the events the command caused (as connect's result comes before its events). */
  protected replyFirst(conn: Conn, build: () => string): void {
    this.held = [];
    let reply: string;
    let frames: string[];
    try {
      reply = build();
    } finally {
      frames = this.held;
      this.held = null;
    }
    conn.send(reply);
    for (const f of frames) this.deps.topics.publish(this.deps.topic, f);
  }
}

const us = (ms: number) => Math.round(ms * 1000) / 1000;
/** Background work of a connection (the seam reports a failure), also returned to whoever waits for it. */
const watched = (conn: Conn, work: Promise<unknown>): Promise<void> => {
  conn.watch(work);
  return work.then(
    () => {},
    () => {},
  );
};
