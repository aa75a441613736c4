// Soak driver for the clicker relay (docs/clicker.md): half the share are clickers scoring every
// 2 s with timestamps 1, 2, 3 …, half are scoreboards that LISTEN to 5 clickers each. Checked:
// each clicker's SCOREDs come in order, one per timestamp; each scoreboard sees every clicker's
// timestamps step by one (from the catch-up line on), each with its score. Churn: a clicker
// drops its socket (with unacknowledged scores in flight, half the time without a close frame),
// registers again with its secret (same id), and resends what was not acknowledged, as the
// original protocol asks; a retry is answered SCORED but never broadcast twice. Scoreboards
// are replaced by new ones.
import { Histogram, SentAt, SeqStream, Tallies } from "../lib/seq.ts";
import { Every, pick, SoakConn, type Driver } from "./common.ts";

const FOLLOW = 5;
const scoreOf = (ts: number) => (ts * 7) % 1000;

interface Clicker {
  conn: SoakConn | null;
  id: string;
  secret: string;
  /** Registered on the current socket: scores go out. */
  ready: boolean;
  ts: number;
  /** Sent (or stored while offline) and not yet acknowledged, oldest first. */
  unacked: number[];
  acks: SeqStream;
  sent: SentAt;
  every: Every;
}
interface Board {
  conn: SoakConn;
  streams: Map<string, SeqStream>;
  follows: Clicker[];
}

export class ClickerDriver implements Driver {
  readonly name = "clicker";
  readonly t = new Tallies();
  readonly lat = { "SCORE → SCORED": new Histogram(), "SCORE → listeners": new Histogram() };
  private clickers: Clicker[] = [];
  private byId = new Map<string, Clicker>();
  private boards: Board[] = [];
  private stopped = false;

  constructor(
    private readonly port: number,
    private readonly periodMs = 2000,
  ) {}

  /** Open (or reopen) a clicker's socket and register; resolves once REGISTERED arrived. */
  private async register(c: Clicker): Promise<void> {
    let done!: () => void;
    const registered = new Promise<void>((res) => (done = res));
    c.ready = false;
    const conn = await SoakConn.open(this.port, "/ws", this.t, (line) => {
      if (line.startsWith("SCORED ")) {
        const ts = Number(line.slice(7));
        if (c.acks.see(ts) !== null) {
          this.lat["SCORE → SCORED"].since(c.sent.get(ts));
          if (c.unacked[0] === ts) c.unacked.shift();
          else this.t.fault("SCORED for another timestamp");
        }
      } else if (line.startsWith("REGISTERED ")) {
        const [, id, secret] = line.split(" ");
        if (c.id && id !== c.id) this.t.fault("id changed on re-register");
        c.id = id!;
        c.secret = secret!;
        this.byId.set(c.id, c);
        done();
      } else if (line.startsWith("ERROR ")) this.t.fault(line.split(" ", 2).join(" "));
    }, [c.secret ? `REGISTER ${c.secret}` : "REGISTER"]);
    this.t.connects++;
    c.conn = conn;
    await registered;
    c.ready = true;
    // The original protocol: scores that were not acknowledged are sent again (latency from now).
    const now = performance.now();
    for (const ts of c.unacked) {
      c.sent.mark(ts, now);
      conn.send(`SCORE ${ts} ${scoreOf(ts)}`);
    }
  }

  private async board(follows: Clicker[]): Promise<void> {
    const b: Board = { conn: null as unknown as SoakConn, streams: new Map(), follows };
    for (const c of follows) b.streams.set(c.id, new SeqStream(this.t));
    b.conn = await SoakConn.open(this.port, "/ws", this.t, (line) => {
      if (!line.startsWith("SCORE ")) {
        if (line.startsWith("ERROR ")) this.t.fault(line.split(" ", 2).join(" "));
        return;
      }
      const [, tsText, id, score] = line.split(" ");
      const ts = Number(tsText);
      const s = b.streams.get(id!);
      if (!s) return this.t.fault("SCORE for an id not listened to");
      if (Number(score) !== scoreOf(ts)) this.t.fault("score changed on the way");
      // The first line per id is LISTEN's catch-up (the latest stored score): no latency.
      const first = s.last === null;
      if (s.see(ts) !== null && !first) this.lat["SCORE → listeners"].since(this.byId.get(id!)?.sent.get(ts));
    }, [`LISTEN ${follows.map((c) => c.id).join(",")}`]);
    this.t.connects++;
    this.boards.push(b);
  }

  async setup(n: number): Promise<void> {
    const clickers = Math.max(FOLLOW, Math.floor(n / 2));
    const mk = (): Clicker => ({ conn: null, id: "", secret: "", ready: false, ts: 0, unacked: [], acks: new SeqStream(this.t, 0, 1), sent: new SentAt(64), every: new Every(this.periodMs) });
    this.clickers = Array.from({ length: clickers }, mk);
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < clickers) await this.register(this.clickers[next++]!);
    }));
    const boards = n - clickers;
    next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < boards) {
        const i = next++;
        await this.board(Array.from({ length: FOLLOW }, (_, j) => this.clickers[(i * FOLLOW + j) % clickers]!));
      }
    }));
  }

  tick(now: number): void {
    if (this.stopped) return;
    for (const c of this.clickers) {
      if (!c.every.due(now)) continue;
      // Pressed while offline: stored, sent once registered again.
      const ts = ++c.ts;
      c.unacked.push(ts);
      if (!c.ready || !c.conn?.open) continue;
      c.sent.mark(ts, now);
      c.conn.send(`SCORE ${ts} ${scoreOf(ts)}`);
    }
  }

  async churn(abort: boolean): Promise<void> {
    if (Math.random() < 0.5) {
      const c = pick(this.clickers.filter((x) => x.ready));
      if (!c) return;
      c.ready = false;
      c.conn!.close(abort);
      this.t.disconnects++;
      await this.register(c);
    } else {
      const b = pick(this.boards);
      if (!b) return;
      this.boards.splice(this.boards.indexOf(b), 1);
      b.conn.close(abort);
      this.t.disconnects++;
      await this.board(b.follows);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  finish(): void {
    for (const c of this.clickers) this.t.lost += c.unacked.length; // never acknowledged
    for (const b of this.boards) if (b.conn.open) for (const c of b.follows) b.streams.get(c.id)!.expectLast(c.ts);
  }

  live(): number {
    return this.clickers.filter((c) => c.conn?.open).length + this.boards.filter((b) => b.conn.open).length;
  }

  close(): void {
    for (const c of this.clickers) c.conn?.close(false);
    for (const b of this.boards) b.conn.close(false);
  }
}
