// Pieces every soak driver shares (docs/bench.md#soak): a connection over the cheap raw client
// that decodes each text frame for its driver and knows whether a close was ours, and the shape
// of a driver (one protocol's population, traffic, churn and checks).
import { connectRaw, type RawClient, type Tally } from "../lib/rawws.ts";
import { Histogram, Tallies } from "../lib/seq.ts";

/** Frame counts of every soak client together (the raw client wants a tally). */
export const tally: Tally = { frames: 0, bytes: 0 };

/**
 * One connection. Frames that arrive before the handshake promise settles (an Engine.IO open
 * packet rides with the 101) reach `onText` all the same; sends made before then wait.
 */
export class SoakConn {
  client: RawClient | null = null;
  /** We closed it (churn, the end): its close is no fault. */
  leaving = false;
  private queued: string[] = [];

  private constructor(
    readonly t: Tallies,
    public onText: (text: string) => void,
  ) {}

  static async open(port: number, path: string, t: Tallies, onText: (text: string) => void, setup: string[] = []): Promise<SoakConn> {
    const c = new SoakConn(t, onText);
    try {
      // Frames still arriving on a connection we left are not read: its replacement gets its own.
      c.client = await connectRaw(port, path, { tally, setup, onText: (text) => c.leaving || c.onText(text) });
    } catch (err) {
      t.fault("handshake refused");
      throw err;
    }
    for (const q of c.queued.splice(0)) c.client.send(q);
    void c.client.done.then(() => {
      if (!c.leaving) t.fault(`closed by the server${c.client?.closeCode ? ` (${c.client.closeCode})` : ""}`);
    });
    return c;
  }

  send(text: string): void {
    if (this.client) this.client.send(text);
    else this.queued.push(text);
  }

  get open(): boolean {
    return this.client !== null && !this.client.ended;
  }

  /** Leave: with a close frame, or (abort) by dropping the TCP connection. */
  close(abort: boolean): void {
    this.leaving = true;
    if (!this.client || this.client.ended) return;
    abort ? this.client.abort() : this.client.close();
  }
}

export interface DriverStats {
  name: string;
  /** Connections open at the end, of the ones this driver holds. */
  connections: number;
  t: Tallies;
  /** Named latency figures (publish → receive, request → reply). */
  lat: Record<string, Histogram>;
}

/** One protocol's part of the soak. */
export interface Driver {
  readonly name: string;
  readonly t: Tallies;
  readonly lat: Record<string, Histogram>;
  /** Open this driver's share of the connections. */
  setup(n: number): Promise<void>;
  /** Send whatever traffic is due at `now` (performance.now()). */
  tick(now: number): void;
  /** One connect and one disconnect: a churnable connection leaves, a new one takes its place. */
  churn(abort: boolean): Promise<void>;
  /** Stop sending (the end of the run; in-flight messages still arrive). */
  stop(): void;
  /** After the quiet period: whatever was sent and never arrived is lost. */
  finish(): void;
  /** Connections held now. */
  live(): number;
  /** Close every connection. */
  close(): void;
}

/** Run `fn` for 0..n-1 with at most `parallel` at once (handshakes in flight). */
export async function inParallel(n: number, parallel: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

/** A random element (the churn picks its victims at random). */
export const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];

/** A sender's schedule: `periodMs` apart, first at a random phase so senders do not all fire in one tick. */
export class Every {
  next: number;
  constructor(readonly periodMs: number, now = performance.now()) {
    this.next = now + Math.random() * periodMs;
  }
  /** True (and the next one scheduled) when one is due. */
  due(now: number): boolean {
    if (now < this.next) return false;
    this.next += this.periodMs;
    if (this.next < now) this.next = now + this.periodMs; // fell behind: no burst to catch up
    return true;
  }
}
