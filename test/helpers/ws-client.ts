// A real WebSocket client (Bun's built-in WebSocket) with an awaitable inbox.
export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly inbox: (string | ArrayBuffer)[] = [];
  private waiters: Array<() => void> = [];
  closed: Closed | null = null;
  private closeWaiters: Array<(c: Closed) => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      this.inbox.push(e.data as string | ArrayBuffer);
      this.wake();
    };
    ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
      for (const w of this.closeWaiters) w(this.closed);
      this.wake();
    };
  }

  /** headers: sent with the upgrade (Bun's WebSocket client takes them), e.g. operatorHeaders. */
  static open(url: string, opts: number | { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<TestClient> {
    const { timeoutMs = 5000, headers } = typeof opts === "number" ? { timeoutMs: opts } : opts;
    return new Promise((resolve, reject) => {
      const ws = headers ? new WebSocket(url, { headers } as unknown as string[]) : new WebSocket(url);
      const client = new TestClient(ws);
      const t = setTimeout(() => reject(new Error(`open ${url} timed out`)), timeoutMs);
      ws.onopen = () => {
        clearTimeout(t);
        resolve(client);
      };
      ws.onerror = () => {
        clearTimeout(t);
        reject(new Error(`could not open ${url}`));
      };
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(data: string | Uint8Array | object): void {
    this.ws.send(typeof data === "string" || data instanceof Uint8Array ? data : JSON.stringify(data));
  }

  /** The next frame as text (waits up to timeoutMs). */
  async next(timeoutMs = 3000): Promise<string> {
    const m = await this.nextFrame(timeoutMs);
    return typeof m === "string" ? m : new TextDecoder().decode(m);
  }

  /** The next frame as received: text, or the bytes of a binary frame (waits up to timeoutMs). */
  async nextFrame(timeoutMs = 3000): Promise<string | ArrayBuffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting for a frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a frame");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.inbox.shift()!;
  }

  async nextJson<T = any>(timeoutMs?: number): Promise<T> {
    return JSON.parse(await this.next(timeoutMs)) as T;
  }

  /** Wait for a frame matching pred, dropping the ones before it. */
  async until(pred: (text: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(m)) return m;
    }
  }

  /** Resolves true if no frame arrives within ms. */
  async quiet(ms = 150): Promise<boolean> {
    await Bun.sleep(ms); // a negative check: the only way to see that nothing comes is to wait
    return this.inbox.length === 0;
  }

  /**
   * The close, once it came. With the in-process test server, the server's close handler has run
   * by then even when this side closed: the server answers the close frame after running it.
   */
  waitClose(timeoutMs = 3000): Promise<Closed> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("timed out waiting for close")), timeoutMs);
      this.closeWaiters.push((c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
