// One room on a server under test, from the client side: its publisher (set up by the path),
// cheap counting subscribers, and real WebSocket probes that time every broadcast they receive
// against the moment it was published (same process, same clock).
import { getPath, type Room } from "../paths.ts";
import "../protocol-paths.ts";
import { connectMany, connectRaw, type RawClient, type Tally } from "./rawws.ts";
import { Ws } from "./wsclient.ts";

export class RoomClients {
  cheap: RawClient[] = [];
  readonly probes: Ws[] = [];
  probeFrames = 0;
  /** Latency samples (ms) are collected only while this is set. */
  measuring = false;
  samples: number[] = [];
  seq = 0;
  /** Called after every probe frame and every chunk a cheap client reads. */
  onProgress: (() => void) | null = null;
  private readonly sentAt = new Map<number, number>();

  private constructor(
    readonly port: number,
    readonly room: Room,
    readonly n: number,
    readonly tally: Tally = { frames: 0, bytes: 0 },
  ) {
    tally.onData ??= () => this.onProgress?.();
  }

  /**
   * Make a room of n subscribers (n − probes cheap ones) and, unless settle is false, wait until
   * their joins went quiet. Rooms opened together may share one tally.
   */
  static async open(port: number, pathName: string, id: string, n: number, probes: number, opts: { settle?: boolean; tally?: Tally; pubPort?: number } = {}): Promise<RoomClients> {
    // pubPort: the publisher on another node than its subscribers (docs/bench.md#x1-across-nodes).
    const room = await getPath(pathName).room(opts.pubPort ?? port, id, n);
    const rc = new RoomClients(port, room, n, opts.tally);
    const p = Math.min(probes, n);
    rc.cheap = await connectMany(n - p, 64, (i) => rc.subscriber(i));
    for (let i = 0; i < p; i++) await rc.addProbe(n - p + i);
    if (opts.settle !== false) await quiesce(() => rc.delivered());
    return rc;
  }

  /** A new cheap subscriber (its frames count in this room's tally). */
  subscriber(i: number): Promise<RawClient> {
    return connectRaw(this.port, this.room.subPath, { tally: this.tally, setup: this.room.subSetup(i) });
  }

  async addProbe(i: number): Promise<Ws> {
    const w = await Ws.open(`ws://127.0.0.1:${this.port}${this.room.subPath}`);
    w.onText = (t) => {
      this.probeFrames++;
      if (this.measuring) {
        const s = this.room.seqOf(t);
        const t0 = s === null ? undefined : this.sentAt.get(s);
        if (t0 !== undefined) this.samples.push(performance.now() - t0);
      }
      this.onProgress?.();
    };
    for (const f of this.room.subSetup(i)) w.send(f);
    this.probes.push(w);
    return w;
  }

  delivered(): number {
    return this.tally.frames + this.probeFrames;
  }

  publish(): void {
    const seq = ++this.seq;
    const mod = this.room.modulo ?? 0;
    this.sentAt.set(mod ? seq % mod : seq, performance.now());
    if (!mod && this.sentAt.size > 100_000) this.sentAt.clear();
    this.room.publish(seq);
  }

  /** Drop every client of the room (callers give the server a moment before they measure again). */
  close(): void {
    for (const c of this.cheap) c.abort();
    for (const w of this.probes) w.close();
    this.room.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until count() stops changing for stableMs (at most maxMs). */
export async function quiesce(count: () => number, maxMs = 15_000, stableMs = 100): Promise<void> {
  const end = performance.now() + maxMs;
  let last = -1;
  while (performance.now() < end) {
    const c = count();
    if (c === last) return;
    last = c;
    await sleep(stableMs);
  }
}
