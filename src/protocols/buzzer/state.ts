// The buzzer mediator's state and rules (docs/buzzer.md#pools), pure: pools registry, commands,
// discovery list, events. Devices are reached only through OpenPool/PoolHandle (the plugin
// supplies real serial/keyboard drivers, tests supply fakes); time comes from the Clock.
import type { Conn } from "../../transport/types.ts";
import { encode, parse, type Command, type EventKind } from "./codec.ts";
import { ConnectError, errorReply, Expected, forbidden, invalidField, type ErrorReply } from "./errors.ts";
import { MemoryNameStore } from "./game.ts";
import { PHONES_POOL } from "./phones.ts";
import type { MediatorDeps, PoolView } from "./mediator-deps.ts";
import { parsePoolSpec, type PoolHandle, type PoolSink, type PoolSpec } from "./pool.ts";
import { isQuizCommand, Quiz, type QuizPort } from "./quiz.ts";

export { parsePoolSpec, type OpenPool, type PoolHandle, type PoolSink, type PoolSpec } from "./pool.ts";
export type { MediatorDeps, PoolView } from "./mediator-deps.ts";

/** Every event goes to every client of the endpoint (docs/buzzer.md#events). */
export const EVENTS_TOPIC = "buzzer:events";

/** One /mediator connection's state (conn.state): the connect replies it is waiting for. */
export interface MediatorClient {
  conn: Conn<MediatorClient>;
  waits: Set<Waiter>;
}

/** A connect command waiting for its pool's handshake. */
interface Waiter {
  client: MediatorClient;
  pool: Pool;
  cancel: () => void;
}

interface Pool {
  spec: PoolSpec;
  handle: PoolHandle | null;
  up: boolean;
  buzzers: Set<number>;
  /** Configured, or connected once: kept (and reconnected by its driver) until a disconnect command. */
  kept: boolean;
  waiters: Waiter[];
}

export class Mediator {
  private readonly pools = new Map<string, Pool>();
  private readonly configured: string[] = [];
  /**
   * Devices still being closed, by pool id. A pool opened again (connect right after disconnect)
   * waits for its old device to be released: the port is held exclusively until then.
   */
  private readonly closing = new Map<string, Promise<unknown>>();
  /** The game and the phones pool. */
  readonly quiz: QuizPort;

  constructor(private readonly deps: MediatorDeps) {
    this.quiz = (deps.quiz ?? ((d) => new Quiz(d)))({
      clock: deps.clock,
      topics: deps.topics,
      topic: EVENTS_TOPIC,
      names: deps.names ?? new MemoryNameStore(),
      settleMs: deps.settleMs ?? 150,
      falseStartMs: deps.falseStartMs ?? 250,
      newPhoneId: deps.newPhoneId,
      event: (kind, pool, buzzer, ts) => this.publishEvent(kind, pool, buzzer, ts),
      devicePools: () => this.devicePools(),
      fail: (conn, reply) => this.fail(conn, reply),
    });
  }

  /** An error reply in the original protocol's uniform shape (docs/buzzer.md#errors); counted for /metrics. */
  fail(conn: Conn, reply: ErrorReply): void {
    this.deps.onError?.();
    conn.send(encode.error(reply));
  }

  /** Pools from --pool: opened at start and kept whatever happens to their device. */
  startConfigured(specs: string[]): void {
    for (const s of specs) {
      const spec = parsePoolSpec(s);
      if (!this.configured.includes(spec.id)) this.configured.push(spec.id);
      this.ensure(spec, true);
    }
  }

  /** Connected pools (the /metrics gauge). */
  get connectedCount(): number {
    let n = 0;
    for (const p of this.pools.values()) if (p.up) n++;
    return n;
  }

  /** Every pool now: connected, waiting for its handshake, or kept while its device is lost. */
  poolViews(): PoolView[] {
    return [...this.pools.values()].map((p) => ({
      id: p.spec.id,
      kind: p.spec.kind,
      up: p.up,
      kept: p.kept,
      configured: this.configured.includes(p.spec.id),
      colors: p.handle?.colors ?? null,
      buzzers: sorted(p.buzzers),
    }));
  }

  /** What `list pools` answers: configured, discovered and open pools. */
  available(): string[] {
    return [...new Set([...this.configured, ...this.deps.discover(), ...this.pools.keys()])];
  }

  /** A new connection's state. */
  open(conn: Conn<MediatorClient>): MediatorClient {
    return { conn, waits: new Set() };
  }

  /** A frame from a client; a promise while its reply waits for another node (several nodes only). */
  message(client: MediatorClient, raw: string): void | Promise<void> {
    const cmd = parse(raw);
    if ("error" in cmd) return this.fail(client.conn, cmd);
    return this.command(client, cmd);
  }

  /** Whether a pool is open on this node (connected, waiting for its handshake, or kept while away). */
  holds(id: string): boolean {
    return this.pools.has(id);
  }

  /** A client went away: drop its pending connect replies; a phone it played is away. */
  close(client: MediatorClient): void {
    this.quiz.close(client.conn);
    for (const w of client.waits) {
      w.cancel();
      w.pool.waiters = w.pool.waiters.filter((x) => x !== w);
    }
    client.waits.clear();
  }

  async stop(): Promise<void> {
    this.quiz.stop();
    const pools = [...this.pools.values()];
    this.pools.clear();
    for (const p of pools) for (const w of p.waiters) settle(w);
    await Promise.all([...pools.map((p) => p.handle?.close()), ...this.closing.values()]);
  }

  /** Commands that change a pool or run the game need operator rights (docs/buzzer.md#operator-commands). */
  static readonly operatorOnly: ReadonlySet<Command["kind"]> = new Set(["disconnect", "set_color", "arm", "reset", "set_name"]);

  /** Device pools connected now, with their buzzers. */
  devicePools() {
    return [...this.pools.values()].filter((p) => p.up).map((p) => ({ pool: p.spec.id, buzzers: sorted(p.buzzers) }));
  }

  command(client: MediatorClient, cmd: Command): void | Promise<void> {
    const conn = client.conn;
    if (Mediator.operatorOnly.has(cmd.kind) && !conn.operator) return this.fail(conn, forbidden(cmd.kind));
    if (isQuizCommand(cmd)) return this.quiz.run(conn, cmd);
    // The phones pool is virtual: always there, joined and left by the phones themselves.
    if (cmd.kind !== "list_buzzers" && cmd.kind !== "list_pools" && parsePoolSpec(cmd.pool).id === PHONES_POOL) {
      if (cmd.kind === "connect") return conn.send(encode.connected(PHONES_POOL, this.quiz.phonesPool()?.buzzers ?? []));
      return this.fail(conn, invalidField("pool", cmd.kind === "set_color" ? Expected.poolWithLights : Expected.devicePool));
    }
    switch (cmd.kind) {
      case "list_buzzers": {
        const phones = this.quiz.phonesPool();
        return conn.send(encode.buzzers(phones ? [...this.devicePools(), phones] : this.devicePools()));
      }
      case "list_pools":
        return conn.send(encode.pools(this.available()));
      case "connect":
        return this.connect(client, parsePoolSpec(cmd.pool));
      case "disconnect": {
        const id = parsePoolSpec(cmd.pool).id;
        const p = this.pools.get(id);
        if (!p) return this.fail(conn, invalidField("pool", Expected.connectedPool));
        // The reply first, then the event to everyone: the same order as connect's result and events.
        conn.send(encode.disconnected(id));
        return this.remove(p, `Pool '${id}' was disconnected`);
      }
      case "set_color": {
        const p = this.pools.get(parsePoolSpec(cmd.pool).id);
        if (!p?.up || !p.handle) return this.fail(conn, invalidField("pool", Expected.connectedPool));
        if (!p.handle.colors) return this.fail(conn, invalidField("pool", Expected.poolWithLights));
        if (!p.buzzers.has(cmd.buzzer)) return this.fail(conn, invalidField("buzzer", Expected.connectedBuzzer));
        p.handle.setColor(cmd.buzzer, cmd.color);
        return conn.send(encode.colored(p.spec.id, cmd.buzzer, cmd.color));
      }
    }
  }

  private connect(client: MediatorClient, spec: PoolSpec): void {
    const conn = client.conn;
    const existing = this.pools.get(spec.id);
    if (existing?.up) return conn.send(encode.connected(spec.id, sorted(existing.buzzers)));
    const refused = existing ? null : this.deps.vet(spec);
    if (refused) return this.fail(conn, errorReply("connect", refused, null));
    const p = existing ?? this.ensure(spec, false);
    if (!this.pools.has(spec.id)) {
      // the driver failed synchronously and the pool is already gone
      return this.fail(conn, errorReply("connect", ConnectError.cannotOpenAny(spec.id), null));
    }
    const w: Waiter = { client, pool: p, cancel: () => {} };
    w.cancel = this.deps.clock.setTimer(this.deps.connectTimeoutMs, () => {
      p.waiters = p.waiters.filter((x) => x !== w);
      client.waits.delete(w);
      this.fail(conn, errorReply("connect", ConnectError.noAnswer(spec.id), null));
      if (!p.kept && p.waiters.length === 0) this.remove(p, null);
    });
    p.waiters.push(w);
    client.waits.add(w);
  }

  private ensure(spec: PoolSpec, kept: boolean): Pool {
    const had = this.pools.get(spec.id);
    if (had) {
      had.kept ||= kept;
      return had;
    }
    const p: Pool = { spec, handle: null, up: false, buzzers: new Set(), kept, waiters: [] };
    this.pools.set(spec.id, p);
    this.deps.changed?.(spec.id);
    const released = this.closing.get(spec.id);
    if (released) void released.then(() => this.openDevice(p));
    else this.openDevice(p);
    return p;
  }

  private openDevice(p: Pool): void {
    if (this.pools.get(p.spec.id) !== p) return; // removed while its old device was still closing
    const handle = this.deps.openPool(p.spec, this.sink(p));
    if (this.pools.get(p.spec.id) === p) p.handle = handle;
    else void handle.close(); // it failed (and was removed) before openPool returned
  }

  /** Close a pool's device; an asynchronous close is remembered until it is done (see `closing`). */
  private closeDevice(p: Pool): void {
    const id = p.spec.id;
    const closed = p.handle?.close();
    const before = this.closing.get(id);
    if (!(closed instanceof Promise) && !before) return;
    const done: Promise<unknown> = Promise.all([before, closed]).catch(() => {});
    this.closing.set(id, done);
    void done.then(() => {
      if (this.closing.get(id) === done) this.closing.delete(id);
    });
  }

  /** Close a pool's device and forget it; waiters get `failure` as a connect error (or nothing). */
  private remove(p: Pool, failure: string | null): void {
    if (this.pools.get(p.spec.id) !== p) return;
    this.pools.delete(p.spec.id);
    this.deps.changed?.(p.spec.id);
    this.failWaiters(p, failure);
    this.closeDevice(p);
    if (p.up) {
      p.up = false;
      this.publish("disconnected", p, null);
    }
  }

  private failWaiters(p: Pool, message: string | null): void {
    const ws = p.waiters;
    p.waiters = [];
    for (const w of ws) {
      settle(w);
      if (message) this.fail(w.client.conn, errorReply("connect", message, null));
    }
  }

  private sink(p: Pool): PoolSink {
    const live = () => this.pools.get(p.spec.id) === p;
    return {
      up: (buzzers) => {
        if (!live()) return;
        p.up = true;
        p.kept = true;
        p.buzzers = new Set(buzzers);
        const ws = p.waiters;
        p.waiters = [];
        const list = sorted(p.buzzers);
        for (const w of ws) {
          settle(w);
          w.client.conn.send(encode.connected(p.spec.id, list));
        }
        this.quiz.prefetch(p.spec.id, list);
        this.deps.changed?.(p.spec.id); // also when it has no buzzers (no event)
        // Announce (or re-announce after the device came back) every buzzer of the pool.
        for (const b of list) this.publish("connected", p, b);
      },
      down: () => {
        if (!live() || !p.up) return;
        p.up = false;
        p.buzzers.clear();
        this.publish("disconnected", p, null);
      },
      buzz: (b, pressedAt) => {
        if (!live() || !p.up) return;
        // A receiver's press time is when its buzz opcode was read: the raw event's ts.
        const ts = this.publish("buzz", p, b);
        this.quiz.press(p.spec.id, b, pressedAt ?? ts);
      },
      connected: (b) => {
        if (!live() || !p.up || p.buzzers.has(b)) return;
        p.buzzers.add(b);
        this.quiz.prefetch(p.spec.id, [b]);
        this.publish("connected", p, b);
      },
      disconnected: (b) => {
        if (live() && p.up && p.buzzers.delete(b)) this.publish("disconnected", p, b);
      },
      failed: (message) => {
        if (!live()) return;
        if (p.kept) this.failWaiters(p, message);
        else this.remove(p, message);
      },
    };
  }

  private publish(kind: EventKind, p: Pool, buzzer: number | null): number {
    if (kind !== "buzz") this.deps.changed?.(p.spec.id);
    return this.publishEvent(kind, p.spec.id, buzzer);
  }

  /** A raw event to every client; `ts` is the receive time (default now), in µs-rounded ms. Returns it. */
  private publishEvent(kind: EventKind, pool: string, buzzer: number | null, at = this.deps.clock.mono()): number {
    const ts = Math.round(at * 1000) / 1000;
    this.deps.topics.publish(EVENTS_TOPIC, encode.event(kind, pool, buzzer, ts));
    return ts;
  }
}

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
/** A waiter is answered (or given up): its timer stops and its client no longer waits for it. */
const settle = (w: Waiter) => {
  w.cancel();
  w.client.waits.delete(w);
};
export type { ErrorReply };
