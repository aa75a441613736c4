// Several nodes (docs/cluster.md#buzzer), the socket's side: a socket's commands are handled one
// at a time, so its replies keep their order while one waits for Redis or another node; `list`
// answers for every node from the pool directory and the phones' registry; a command for a pool
// another node holds goes to that node (remote.ts), and a new pool opens where the socket is
// (devices are local).
import { Close } from "../../transport/close-codes.ts";
import { encode, parse, type Command, type PoolBuzzers } from "./codec.ts";
import type { ClusterQuiz } from "./cluster-quiz.ts";
import type { PoolDirectory, PoolEntry } from "./directory.ts";
import { ConnectError, errorReply, Expected, invalidField } from "./errors.ts";
import type { PhoneRegistry } from "./phone-registry.ts";
import { PHONES_POOL } from "./phones.ts";
import { K, type Calls, type ConnMsg, type NodeLink } from "./remote.ts";
import { EVENTS_TOPIC, Mediator, parsePoolSpec, type MediatorClient } from "./state.ts";

export interface FrontDeps {
  mediator: Mediator;
  quiz: ClusterQuiz;
  calls: Calls;
  link: NodeLink;
  bus: { retain(topic: string, byProtocol: true): void; release(topic: string, byProtocol: true): void };
  directory: PoolDirectory;
  registry: PhoneRegistry;
  /** Redis in reach (and this node not stopping). */
  live(): boolean;
  alive(node: string): boolean;
  within<T>(work: Promise<T>): Promise<T>;
  /** How long a command waits for another node (a connect waits connectTimeoutMs more). */
  waitMs: number;
  connectTimeoutMs: number;
  /** Frames a socket may have waiting while one of its commands is answered elsewhere; the reply when there are more (then close 1008). */
  maxHeld: number;
  rateLimited: string;
}

interface Client {
  mc: MediatorClient;
  held: string[];
  busy: boolean;
}

const byPool = (a: PoolBuzzers, b: PoolBuzzers) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0);

export class BuzzerFront {
  private readonly clients = new Map<number, Client>();

  constructor(private readonly deps: FrontDeps) {}

  /** A socket of this node, by id. */
  conn(id: number) {
    return this.clients.get(id)?.mc.conn;
  }

  /** A socket opened; the node listens to the other nodes' events while it has one. */
  opened(mc: MediatorClient): void {
    this.clients.set(mc.conn.id, { mc, held: [], busy: false });
    if (this.clients.size === 1) this.deps.bus.retain(EVENTS_TOPIC, true);
  }

  /** A frame from a socket: one command at a time, so replies keep their order while one waits for another node. */
  message(mc: MediatorClient, raw: string): void {
    const cl = this.clients.get(mc.conn.id);
    if (!cl) return void this.deps.mediator.message(mc, raw);
    if (!cl.busy) return this.run(cl, raw);
    if (cl.held.length >= this.deps.maxHeld) {
      mc.conn.send(this.deps.rateLimited);
      return mc.conn.close(Close.policy, "too many messages waiting");
    }
    cl.held.push(raw);
  }

  closed(mc: MediatorClient): void {
    if (!this.clients.delete(mc.conn.id)) return;
    for (const node of this.deps.calls.drop(mc.conn)) this.deps.link.send(node, K.end, { c: mc.conn.id } satisfies ConnMsg);
    if (this.clients.size === 0) this.deps.bus.release(EVENTS_TOPIC, true);
  }

  private run(cl: Client, raw: string): void {
    for (;;) {
      const r = this.handle(cl.mc, raw);
      if (r instanceof Promise) {
        cl.busy = true;
        cl.mc.conn.watch(r); // a rejection is a bug: reported, and the socket closed (1011)
        const next = () => {
          cl.busy = false;
          const raw = cl.held.shift();
          if (raw !== undefined && this.clients.get(cl.mc.conn.id) === cl) this.run(cl, raw);
        };
        void r.then(next, next);
        return;
      }
      const next = cl.held.shift();
      if (next === undefined) return;
      raw = next;
    }
  }

  private handle(mc: MediatorClient, raw: string): void | Promise<void> {
    const cmd = parse(raw);
    const m = this.deps.mediator;
    if ("error" in cmd) return m.message(mc, raw);
    if (Mediator.operatorOnly.has(cmd.kind) && !mc.conn.operator) return m.command(mc, cmd);
    switch (cmd.kind) {
      case "list_buzzers":
        return this.pools().then((ps) => mc.conn.send(encode.buzzers(ps)));
      case "list_pools":
        return this.entries().then((es) => mc.conn.send(encode.pools([...new Set([...m.available(), ...this.others(es).map((e) => e.pool)])])));
      case "connect":
      case "disconnect":
      case "set_color":
        return this.poolCommand(mc, cmd);
      default:
        return m.command(mc, cmd);
    }
  }

  /** A pool held on another node: its command runs there (a new pool opens here: devices are local). */
  private poolCommand(mc: MediatorClient, cmd: Extract<Command, { pool: string }>): void | Promise<void> {
    const id = parsePoolSpec(cmd.pool).id;
    const m = this.deps.mediator;
    if (id === PHONES_POOL) {
      if (cmd.kind !== "connect") return m.command(mc, cmd);
      return this.phones().then((p) => mc.conn.send(encode.connected(PHONES_POOL, p?.buzzers ?? [])));
    }
    if (m.holds(id) || !this.deps.live()) return m.command(mc, cmd);
    return this.deps.within(this.deps.directory.get(id))
      .catch(() => null)
      .then((e) => {
        if (!e || e.node === this.deps.link.nodeId || !this.deps.alive(e.node) || m.holds(id)) return m.command(mc, cmd);
        const wait = this.deps.waitMs + (cmd.kind === "connect" ? this.deps.connectTimeoutMs : 0);
        return this.deps.calls.call(mc.conn, e.node, K.cmd, { m: cmd }, wait, () =>
          // Its node is gone or out of reach: as for a pool that is not there (a connect: the reason).
          m.fail(mc.conn, cmd.kind === "connect" ? errorReply("connect", ConnectError.nodeGone(id), null) : invalidField("pool", Expected.connectedPool)),
        );
      });
  }

  /** `list buzzers` of the whole cluster: connected device pools in the order of their ids, then the phones. */
  async pools(): Promise<PoolBuzzers[]> {
    const byId = new Map(this.deps.mediator.devicePools().map((p) => [p.pool, p]));
    for (const e of this.others(await this.entries())) if (e.up && !byId.has(e.pool)) byId.set(e.pool, { pool: e.pool, buzzers: e.buzzers });
    const phones = await this.phones();
    const devices = [...byId.values()].sort(byPool);
    return phones ? [...devices, phones] : devices;
  }

  private async phones(): Promise<PoolBuzzers | null> {
    const all = this.deps.live() ? await this.deps.within(this.deps.registry.connected()).catch(() => null) : null;
    if (all === null) return this.deps.quiz.phonesPool(); // cut off: this node's own phones
    return all.length ? { pool: PHONES_POOL, buzzers: all } : null;
  }

  /** Every pool in the directory (none while Redis is out of reach). */
  private entries(): Promise<PoolEntry[]> {
    return this.deps.live() ? this.deps.within(this.deps.directory.all()).catch(() => []) : Promise.resolve([]);
  }

  /** The pools of other nodes that are alive. */
  private others(es: PoolEntry[]): PoolEntry[] {
    return es.filter((e) => e.node !== this.deps.link.nodeId && this.deps.alive(e.node) && !this.deps.mediator.holds(e.pool));
  }
}
