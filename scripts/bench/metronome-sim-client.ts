// A simulated metronome phone for the sync benchmark: a real WebSocket on 127.0.0.1 whose clock is
// skewed and whose network is slow. Both are simulated here, in the client: every frame is held for
// a one-way delay (per-client base + per-frame jitter) on the way out and on the way in, in order,
// like a TCP stream; timestamps the app writes use the skewed clock, as a phone's Date.now() would.

/** True time: the machine's wall clock with sub-ms resolution. */
export const trueNow = (): number => performance.timeOrigin + performance.now();

export interface NetProfile {
  /** Client clock minus true time (ms). */
  skew: number;
  /** Base one-way delays (ms), client → server and server → client. */
  upMs: number;
  downMs: number;
  /** Extra delay per frame, uniform in [0, jitterMs). */
  jitterMs: number;
}

/** A queue that releases items in order, each no earlier than its own delay after it was queued. */
class DelayLine {
  private lastRelease = 0;
  constructor(private readonly delay: () => number) {}
  push(fn: () => void): void {
    const at = Math.max(this.lastRelease, trueNow() + this.delay());
    this.lastRelease = at;
    setTimeout(fn, Math.max(0, at - trueNow()));
  }
}

interface Waiter {
  pred: (m: any) => boolean;
  resolve: (m: Delivered) => void;
}
export interface Delivered {
  msg: any;
  /** Client clock when the frame reached the app (after the simulated downlink). */
  recvTs: number;
}

export class SimClient {
  private readonly up: DelayLine;
  private readonly down: DelayLine;
  private readonly inbox: Delivered[] = [];
  private waiters: Waiter[] = [];
  private nextId = 1;

  private constructor(private readonly ws: WebSocket, readonly net: NetProfile, rand: () => number) {
    this.up = new DelayLine(() => net.upMs + rand() * net.jitterMs);
    this.down = new DelayLine(() => net.downMs + rand() * net.jitterMs);
    ws.onmessage = (e) => this.down.push(() => this.deliver({ msg: JSON.parse(String(e.data)), recvTs: this.now() }));
  }

  static open(url: string, net: NetProfile, rand: () => number): Promise<SimClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new SimClient(ws, net, rand);
      ws.onopen = () => resolve(c);
      ws.onerror = () => reject(new Error(`could not open ${url}`));
    });
  }

  /** This phone's clock, whole ms like Date.now(). */
  now(): number {
    return Math.floor(trueNow() + this.net.skew);
  }

  /** A client-clock instant converted to true time (the harness knows the skew; the server does not). */
  toTrue(clientTs: number): number {
    return clientTs - this.net.skew;
  }

  private deliver(d: Delivered): void {
    // Answer the server's requests, as clients of the original protocol do.
    if (typeof d.msg.method === "string" && d.msg.id != null) this.send(() => ({ jsonrpc: "2.0", result: { status: "success" }, id: d.msg.id }));
    const i = this.waiters.findIndex((w) => w.pred(d.msg));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(d);
    else this.inbox.push(d);
  }

  /** Queue a frame; `build` runs when the app sends it, so its timestamps are taken before the uplink delay. */
  private send(build: () => object): void {
    const text = JSON.stringify(build());
    this.up.push(() => this.ws.readyState === WebSocket.OPEN && this.ws.send(text));
  }

  wait(pred: (m: any) => boolean, timeoutMs = 10_000): Promise<Delivered> {
    const i = this.inbox.findIndex((d) => pred(d.msg));
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred, resolve: (d) => (clearTimeout(t), resolve(d)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error("timed out waiting for a frame"));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Call a method; params are built at send time from this phone's clock. Resolves with the reply. */
  async call(method: string, params: (now: number) => object): Promise<Delivered> {
    const id = this.nextId++;
    this.send(() => ({ jsonrpc: "2.0", method, params: params(this.now()), id }));
    const d = await this.wait((m) => m.method === undefined && m.id === id);
    if (d.msg.result?.status !== "success") throw new Error(`${method} failed: ${JSON.stringify(d.msg)}`);
    return d;
  }

  close(): void {
    this.ws.close();
  }
}
