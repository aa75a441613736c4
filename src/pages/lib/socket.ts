// A same-origin WebSocket that reconnects by itself with backoff (docs/pages.md#websocket-client).
// Pages talk to the public endpoints like any client; this only adds the reconnecting.
import { LiveLink, type BackoffOptions } from "./live.ts";

export interface SocketOptions extends BackoffOptions {
  /** Shown in the status badge when a page has several links. */
  name?: string;
  /** After every (re)connect: send the protocol's hello here (a reconnect is a new session). */
  onOpen?(socket: Socket): void;
  onMessage?(data: string | ArrayBuffer, socket: Socket): void;
  onClose?(event: CloseEvent, socket: Socket): void;
  /**
   * Whether to reconnect after this close. Default: always, except close code 4001, which the
   * clicker and watch-party endpoints send to the older of two connections with the same
   * identity (docs/clicker.md, docs/syncparty.md): reconnecting would take the seat back from
   * the newer tab, which would then do the same.
   */
  reconnectAfter?(event: CloseEvent): boolean;
  /** A connection that stays open this long resets the backoff (ms, default 5000). */
  stableMs?: number;
}

/** ws(s)://this-host/path: same origin as the page, secure when the page is. */
export function sameOriginUrl(path: string): string {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class Socket extends LiveLink {
  private ws: WebSocket | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly path: string, private readonly opts: SocketOptions = {}) {
    super(opts.name ?? path, opts);
    this.attempt();
  }

  /** Send a frame (objects as JSON); false when not connected (nothing is queued). */
  send(data: string | object | ArrayBufferView<ArrayBuffer> | ArrayBuffer): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(typeof data === "string" || data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? (data as string | BufferSource) : JSON.stringify(data));
    return true;
  }

  protected attempt(): void {
    this.drop();
    const ws = new WebSocket(sameOriginUrl(this.path));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.opened();
      this.stableTimer = setTimeout(() => this.healthy(), this.opts.stableMs ?? 5000);
      this.opts.onOpen?.(this);
    };
    ws.onmessage = (e) => this.opts.onMessage?.(e.data as string | ArrayBuffer, this);
    // A failed attempt fires error then close; close alone decides what happens next.
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.drop();
      this.opts.onClose?.(e, this);
      const again = this.opts.reconnectAfter ? this.opts.reconnectAfter(e) : e.code !== 4001;
      if (again) this.failed();
      else this.close(e.code === 4001 ? "opened in another tab" : e.reason || `closed (${e.code})`);
    };
  }

  protected abort(): void {
    this.drop();
  }

  private drop(): void {
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      ws.close(1000);
    }
  }
}
