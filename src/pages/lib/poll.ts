// A same-origin JSON URL fetched every few seconds, with the same states and backoff as a socket
// (docs/pages.md#connection-state): for pages whose live data is a plain HTTP feed.
import { LiveLink, type BackoffOptions } from "./live.ts";

export interface PollOptions<T> extends BackoffOptions {
  name?: string;
  /** Time between successful fetches (ms, default 5000). */
  everyMs?: number;
  /** A fetch that takes longer fails (ms, default 5000). */
  timeoutMs?: number;
  onData(data: T, poll: Poll<T>): void;
}

export class Poll<T = unknown> extends LiveLink {
  private next: ReturnType<typeof setTimeout> | null = null;
  private inFlight: AbortController | null = null;

  constructor(readonly url: string, private readonly opts: PollOptions<T>) {
    super(opts.name ?? url, opts);
    this.attempt();
  }

  protected attempt(): void {
    this.abort();
    const ctl = new AbortController();
    this.inFlight = ctl;
    const timeout = setTimeout(() => ctl.abort(), this.opts.timeoutMs ?? 5000);
    fetch(this.url, { cache: "no-store", signal: ctl.signal, headers: { accept: "application/json" } })
      .then(async (r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return (await r.json()) as T;
      })
      .then(
        (data) => {
          if (this.inFlight !== ctl) return;
          this.inFlight = null;
          this.opened();
          this.healthy();
          this.opts.onData(data, this);
          this.next = setTimeout(() => this.attempt(), this.opts.everyMs ?? 5000);
        },
        () => {
          if (this.inFlight !== ctl) return;
          this.inFlight = null;
          this.failed();
        },
      )
      .finally(() => clearTimeout(timeout));
  }

  protected abort(): void {
    if (this.next !== null) clearTimeout(this.next);
    this.next = null;
    const ctl = this.inFlight;
    this.inFlight = null;
    ctl?.abort();
  }
}
