// A phone buzzer as a program: what the /buzz page does over /mediator, for tests and benchmarks
// (docs/buzzer.md#phones-as-buzzers). It joins, keeps estimating its clock offset with sync_time
// (a burst on joining, then one every couple of seconds, each reporting the exchange before it)
// and presses with the instant measured on its own clock, which runs `skewMs` away from the
// server's (any clock will do: the server only needs the offset).

export interface PhoneOptions {
  name: string;
  phoneId?: string | null;
  /** This phone's clock = performance.now() + skewMs. */
  skewMs?: number;
  /** sync_time calls on joining, and the gap between them (ms). */
  burst?: number;
  burstGapMs?: number;
  /** Then one sync_time this often (ms); 0 for none. */
  everyMs?: number;
}

type Frame = Record<string, any>;

export class PhoneClient {
  readonly inbox: Frame[] = [];
  buzzer = -1;
  phoneId = "";
  private waiters: Array<() => void> = [];
  private last: { client_ts: number; server_recv_ts: number; server_send_ts: number; client_recv_ts: number } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private syncWaiter: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly ws: WebSocket, private readonly opts: PhoneOptions) {
    ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data)) as Frame;
      if (f.result === "sync_time") return this.synced(f);
      this.inbox.push(f);
      this.wake();
    };
    ws.onclose = () => {
      this.closed = true;
      this.stopSync();
      this.wake();
    };
  }

  /** Open, join, and finish the first sync burst. */
  static async join(url: string, opts: PhoneOptions): Promise<PhoneClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`could not open ${url}`));
    });
    const p = new PhoneClient(ws, opts);
    p.send({ command: "phone_join", name: opts.name, phone_id: opts.phoneId ?? null });
    const joined = await p.until((f) => f.result === "phone_join" || f.error === "phone");
    if (joined.error) throw new Error(`phone_join: ${joined.message}`);
    p.buzzer = joined.buzzer;
    p.phoneId = joined.phone_id;
    await p.syncBurst(opts.burst ?? 5, opts.burstGapMs ?? 200);
    if ((opts.everyMs ?? 2000) > 0) p.keepSyncing(opts.everyMs ?? 2000);
    return p;
  }

  /** This phone's clock (ms). */
  clock(): number {
    return performance.now() + (this.opts.skewMs ?? 0);
  }

  /** Press now (or at a given instant on this phone's clock). */
  press(clientTs = this.clock()): void {
    this.send({ command: "press", client_ts: clientTs });
  }

  send(frame: object): void {
    if (!this.closed) this.ws.send(JSON.stringify(frame));
  }

  /** The next frame matching pred (frames before it are dropped). */
  async until(pred: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.inbox.length) {
        const f = this.inbox.shift()!;
        if (pred(f)) return f;
      }
      if (this.closed) throw new Error("phone socket closed");
      const left = deadline - performance.now();
      if (left <= 0) throw new Error("phone: timed out waiting for a frame");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** n exchanges, each sent `gapMs` after the previous reply. */
  async syncBurst(n: number, gapMs: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await this.syncOnce();
      if (i < n - 1) await Bun.sleep(gapMs);
    }
  }

  close(): void {
    this.stopSync();
    this.closed = true;
    this.ws.close();
  }

  private syncOnce(): Promise<void> {
    return new Promise((resolve) => {
      this.syncWaiter = resolve;
      this.send({ command: "sync_time", client_ts: this.clock(), previous: this.last });
    });
  }

  private synced(f: Frame): void {
    this.last = { client_ts: f.client_ts, server_recv_ts: f.server_recv_ts, server_send_ts: f.server_send_ts, client_recv_ts: this.clock() };
    const w = this.syncWaiter;
    this.syncWaiter = null;
    w?.();
  }

  private keepSyncing(everyMs: number): void {
    this.timer = setTimeout(() => {
      void this.syncOnce();
      if (!this.closed) this.keepSyncing(everyMs);
    }, everyMs);
  }

  private stopSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
