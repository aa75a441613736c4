// A real WebSocket client (Bun's built-in one) for publishers and latency probes: full frame
// decoding, an awaitable "wait for a matching frame", and a hook for every text frame.
export class Ws {
  private waiters: Array<{ pred: (t: string) => boolean; resolve: (t: string) => void }> = [];
  /** Called for every text frame after waiters had their look. */
  onText: ((t: string) => void) | null = null;
  closeCode: number | null = null;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    let onClose!: (c: number) => void;
    this.closed = new Promise((r) => (onClose = r));
    ws.onmessage = (e) => {
      const t = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      for (let i = 0; i < this.waiters.length; i++) {
        const w = this.waiters[i]!;
        if (w.pred(t)) {
          this.waiters.splice(i, 1);
          w.resolve(t);
          return;
        }
      }
      this.onText?.(t);
    };
    ws.onclose = (e) => {
      this.closeCode = e.code;
      onClose(e.code);
    };
  }

  static open(url: string, timeoutMs = 10_000): Promise<Ws> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      const t = setTimeout(() => reject(new Error(`open ${url} timed out`)), timeoutMs);
      ws.onopen = () => {
        clearTimeout(t);
        resolve(new Ws(ws));
      };
      ws.onerror = () => {
        clearTimeout(t);
        reject(new Error(`could not open ${url}`));
      };
    });
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** The next frame for which pred holds (frames before it that match no waiter go to onText). */
  wait(pred: (t: string) => boolean, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (t: string) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error("timed out waiting for a frame"));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Send text and wait for the reply that pred recognises. */
  async call(text: string, pred: (t: string) => boolean, timeoutMs?: number): Promise<string> {
    const p = this.wait(pred, timeoutMs);
    this.send(text);
    return p;
  }

  close(): void {
    this.ws.close();
  }
}
