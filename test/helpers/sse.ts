// A Server-Sent Events reader for tests of the status stream (docs/pages.md#the-status-feed):
// events as they arrive, each with its name and data, waited for with a deadline.
export interface SseEvent {
  event: string;
  data: string;
}

export class SseReader {
  private readonly queue: SseEvent[] = [];
  private wake: (() => void) | null = null;
  private buffer = "";
  ended = false;

  private constructor(readonly response: Response, private readonly ctl: AbortController) {
    void this.pump();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const ctl = new AbortController();
    const r = await fetch(url, { headers, signal: ctl.signal });
    return new SseReader(r, ctl);
  }

  private async pump(): Promise<void> {
    const reader = this.response.body!.getReader();
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.buffer += dec.decode(value, { stream: true });
        let at: number;
        while ((at = this.buffer.indexOf("\n\n")) >= 0) {
          const block = this.buffer.slice(0, at);
          this.buffer = this.buffer.slice(at + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length) this.queue.push({ event, data: data.join("\n") });
        }
        this.wake?.();
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.wake?.();
  }

  /** The next event for which pred holds (earlier ones are dropped). */
  async next(pred: (e: SseEvent) => boolean = () => true, timeoutMs = 3000): Promise<SseEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.queue.length) {
        const e = this.queue.shift()!;
        if (pred(e)) return e;
      }
      if (this.ended) throw new Error("the stream ended");
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          r();
        };
      });
    }
  }

  /** The next `status` event whose snapshot pred accepts, parsed. */
  async status(pred: (s: any) => boolean = () => true, timeoutMs = 3000): Promise<any> {
    const e = await this.next((x) => x.event === "status" && pred(JSON.parse(x.data)), timeoutMs);
    return JSON.parse(e.data);
  }

  /** Resolves when the server ends the stream. */
  async closed(timeoutMs = 3000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.ended) {
      if (performance.now() > deadline) throw new Error("the stream did not end");
      await this.next(() => false, Math.max(1, deadline - performance.now())).catch(() => {});
    }
  }

  close(): void {
    this.ctl.abort();
  }
}
