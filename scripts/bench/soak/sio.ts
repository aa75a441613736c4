// Soak driver for the Socket.IO relay (docs/socketio.md): user/monitor pairs over Engine.IO
// WebSockets. Each user sends `command send` every 2 s with the text "<user> <n>"; its monitor
// answers every `command do` with `command done`. Checked: each monitor sees every user's n step
// by one; each user gets `command ok` for its commands in order and `command finish` for each id
// once, in order. Churn: a user stops sending, waits for its commands to finish, leaves, and a
// new user queries the same monitor.
import { Histogram, SentAt, SeqStream, Tallies } from "../lib/seq.ts";
import { Every, pick, SoakConn, type Driver } from "./common.ts";

const PATH = "/socket.io/?EIO=4&transport=websocket";
const emit = (event: string, payload: unknown) => "42" + JSON.stringify([event, payload]);

interface User {
  conn: SoakConn;
  key: string;
  ready: boolean;
  draining: boolean;
  seq: number;
  /** Sent, waiting for `command ok`, oldest first. */
  unconfirmed: number[];
  /** Correlation id → n, until `command finish`. */
  open: Map<string, number>;
  finished: SeqStream;
  sent: SentAt;
  every: Every;
}
interface Pair {
  monitorId: string;
  monitor: SoakConn;
  /** The monitor's view of each user's counter. */
  seen: Map<string, SeqStream>;
  user: User;
}

/** Engine.IO and Socket.IO framing common to both roles: pings answered, events decoded. */
function sio(conn: () => SoakConn, t: Tallies, onConnect: () => void, onEvent: (event: string, payload: Record<string, unknown>) => void) {
  return (text: string) => {
    if (text === "2") return conn().send("3");
    if (text.startsWith("40")) return onConnect();
    if (text.startsWith("44")) return t.fault("CONNECT_ERROR");
    if (text.startsWith("41")) return t.fault("disconnected by the server");
    if (!text.startsWith("42")) return; // the open packet, pongs
    const [event, payload] = JSON.parse(text.slice(2)) as [string, Record<string, unknown>];
    onEvent(event, payload);
  };
}

export class SioDriver implements Driver {
  readonly name = "socket.io";
  readonly t = new Tallies();
  readonly lat = { "command send → command do": new Histogram(), "command send → command finish": new Histogram() };
  private pairs: Pair[] = [];
  private users = 0;
  private stopped = false;

  constructor(
    private readonly port: number,
    private readonly periodMs = 2000,
    private readonly tag = `soak${process.pid}`,
  ) {}

  private async monitor(i: number): Promise<Pair> {
    const monitorId = `${this.tag}-m${i}`;
    const pair = { monitorId, seen: new Map<string, SeqStream>() } as Pair;
    let ok!: () => void;
    const registered = new Promise<void>((r) => (ok = r));
    pair.monitor = await SoakConn.open(this.port, PATH, this.t, sio(() => pair.monitor, this.t, () => pair.monitor.send(emit("con", { monitor_id: monitorId })), (event, p) => {
      if (event === "con ok") return ok();
      if (event !== "command do") return this.t.fault(`monitor got ${event}`);
      const [key, n] = String(p.command).split(" ");
      let s = pair.seen.get(key!);
      if (!s) pair.seen.set(key!, (s = new SeqStream(this.t, 0, 1)));
      if (s.see(Number(n)) !== null) this.lat["command send → command do"].since(pair.user?.key === key ? pair.user.sent.get(Number(n)) : undefined);
      pair.monitor.send(emit("command done", { id: p.id }));
    }), ["40"]);
    await registered;
    return pair;
  }

  private async user(pair: Pair): Promise<void> {
    const key = `u${this.users++}`;
    const u = { key, ready: false, draining: false, seq: 0, unconfirmed: [], open: new Map(), finished: new SeqStream(this.t, 0, 1), sent: new SentAt(64), every: new Every(this.periodMs) } as unknown as User;
    let ok!: () => void;
    const queried = new Promise<void>((r) => (ok = r));
    u.conn = await SoakConn.open(this.port, PATH, this.t, sio(() => u.conn, this.t, () => u.conn.send(emit("query", { monitor_id: pair.monitorId })), (event, p) => {
      if (event === "query ok") {
        if (p.online !== true) this.t.fault("monitor offline at query");
        return ok();
      }
      if (event === "command ok") {
        const n = u.unconfirmed.shift();
        if (n === undefined) return this.t.fault("command ok for nothing sent");
        u.open.set(String(p.id), n);
      } else if (event === "command finish") {
        const n = u.open.get(String(p.id));
        if (n === undefined) return void u.finished.see(-1); // a finish for an id already finished: counted as out of order
        u.open.delete(String(p.id));
        if (u.finished.see(n) !== null) this.lat["command send → command finish"].since(u.sent.get(n));
      } else if (event === "monitor online" || event === "monitor offline") {
        if (event === "monitor offline") this.t.fault("monitor went offline");
      } else this.t.fault(`user got ${event}: ${String(p.reason)}`);
    }), ["40"]);
    this.t.connects++;
    await queried;
    u.ready = true;
    pair.user = u;
  }

  async setup(n: number): Promise<void> {
    const count = Math.max(1, Math.floor(n / 2));
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        this.pairs[i] = await this.monitor(i);
      }
    }));
    next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < count) await this.user(this.pairs[next++]!);
    }));
  }

  tick(now: number): void {
    if (this.stopped) return;
    for (const { user: u } of this.pairs) {
      if (!u.ready || u.draining || !u.every.due(now)) continue;
      const n = ++u.seq;
      u.sent.mark(n, now);
      u.unconfirmed.push(n);
      u.conn.send(emit("command send", { command: `${u.key} ${n}` }));
    }
  }

  async churn(abort: boolean): Promise<void> {
    const pair = pick(this.pairs.filter((p) => p.user.ready && !p.user.draining));
    if (!pair) return;
    const u = pair.user;
    u.draining = true;
    // A user that leaves with commands outstanding loses their results by design: wait for them.
    for (let i = 0; i < 100 && (u.unconfirmed.length || u.open.size); i++) await Bun.sleep(50);
    this.t.lost += u.unconfirmed.length + u.open.size;
    u.conn.close(abort);
    this.t.disconnects++;
    await this.user(pair);
  }

  stop(): void {
    this.stopped = true;
  }

  finish(): void {
    for (const { user: u, seen } of this.pairs) {
      if (!u.conn.open) continue;
      this.t.lost += u.unconfirmed.length + u.open.size; // sent, never finished
      seen.get(u.key)?.expectLast(u.seq);
    }
  }

  live(): number {
    return this.pairs.reduce((n, p) => n + (p.monitor.open ? 1 : 0) + (p.user.conn.open ? 1 : 0), 0);
  }

  close(): void {
    for (const p of this.pairs) {
      p.user.conn.close(false);
      p.monitor.close(false);
    }
  }
}
