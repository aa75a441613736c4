// A same-origin Server-Sent Events stream with the states and backoff of every link
// (docs/pages.md#connection-state), for pages whose live data is an event stream (the operator
// console's /api/status/stream). The browser's own EventSource retry is not used: its timing is
// invisible to the badge, and it never notices a stream that went silent without closing.
import { LiveLink, type BackoffOptions } from "./live.ts";

export interface EventStreamOptions extends BackoffOptions {
  name?: string;
  /** Called for every event of these names, with its data. */
  events: Record<string, (data: string) => void>;
  /**
   * A stream silent this long is taken for dead and reopened (ms, default 40 s: the server's
   * heartbeat is every 15 s).
   */
  silenceMs?: number;
  /**
   * After a failed attempt: whether it is worth trying again. Default: always. The console asks
   * the plain URL, and stops for good when it says the rights are gone (401/403).
   */
  check?(): Promise<string | null>;
}

export class EventStream extends LiveLink {
  private es: EventSource | null = null;
  private silence: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly url: string, private readonly opts: EventStreamOptions) {
    super(opts.name ?? url, opts);
    this.attempt();
  }

  protected attempt(): void {
    this.drop();
    const es = new EventSource(this.url);
    this.es = es;
    this.arm();
    es.onopen = () => {
      if (this.es !== es) return;
      this.opened();
      this.healthy();
      this.arm();
    };
    for (const [name, fn] of Object.entries(this.opts.events)) {
      es.addEventListener(name, (e) => {
        if (this.es !== es) return;
        this.arm();
        fn((e as MessageEvent<string>).data);
      });
    }
    es.onerror = () => {
      if (this.es !== es) return;
      this.lost();
    };
  }

  protected abort(): void {
    this.drop();
  }

  /** The stream failed or went silent: ask whether to go on, then wait and retry. */
  private lost(): void {
    this.drop();
    const check = this.opts.check;
    if (!check) return this.failed();
    check().then(
      (fatal) => (fatal ? this.close(fatal) : this.failed()),
      () => this.failed(),
    );
  }

  private arm(): void {
    if (this.silence !== null) clearTimeout(this.silence);
    this.silence = setTimeout(() => this.lost(), this.opts.silenceMs ?? 40_000);
  }

  private drop(): void {
    if (this.silence !== null) clearTimeout(this.silence);
    this.silence = null;
    const es = this.es;
    this.es = null;
    es?.close();
  }
}
