// A same-origin Socket.IO connection (the relay on /socket.io/, docs/socketio.md) as a live link:
// the bundled socket.io-client speaks the protocol, and the page library's backoff, wake-ups and
// status badge (live.ts, status.ts) decide when to try again, as for every other page
// (docs/pages.md#socketio-client). socket.io-client's own reconnection is off.
import { io, type Socket as IoSocket } from "socket.io-client";
import { LiveLink, type BackoffOptions } from "./live.ts";

export interface SioOptions extends BackoffOptions {
  name?: string;
  /** The CONNECT packet's auth, read at every attempt (a token typed in since is used). */
  auth?(): Record<string, unknown>;
  /** After every (re)connect: a reconnect is a new session, so send the state again here. */
  onConnect?(link: SioLink): void;
  /** The server refused the CONNECT (its reason): the link is closed for good, the page decides what next. */
  onRefused?(reason: string, link: SioLink): void;
  /** Every event the server emits (acknowledgements go to the emit's promise instead). */
  onEvent?(event: string, payload: unknown, link: SioLink): void;
  /** The connection ended (whatever comes next: a retry, or nothing after close()). */
  onDisconnect?(link: SioLink): void;
  /** A connection that stays up this long resets the backoff (ms, default 5000). */
  stableMs?: number;
}

/** A CONNECT_ERROR from the server carries its reason (docs/socketio.md#refusals); a transport failure does not. */
function refusalReason(err: Error & { data?: { reason?: unknown } }): string | null {
  if (err.data === undefined) return null;
  return typeof err.data?.reason === "string" ? err.data.reason : err.message;
}

export class SioLink extends LiveLink {
  private socket: IoSocket | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: SioOptions = {}) {
    super(opts.name ?? "Socket.IO", opts);
    this.attempt();
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Emit with an acknowledgement: resolves with the server's answer, rejects when not connected or after timeoutMs. */
  request(event: string, payload?: unknown, timeoutMs = 10_000): Promise<unknown> {
    const s = this.socket;
    if (!s?.connected) return Promise.reject(new Error("not connected"));
    const args = payload === undefined ? [] : [payload];
    return s.timeout(timeoutMs).emitWithAck(event, ...args);
  }

  protected attempt(): void {
    this.drop();
    // Same origin, WebSocket only: one socket, no polling requests, nothing cross-origin.
    const s = io({ path: "/socket.io/", transports: ["websocket"], reconnection: false, forceNew: true, timeout: 10_000, auth: this.opts.auth?.() ?? {} });
    this.socket = s;
    s.on("connect", () => {
      this.opened();
      this.stableTimer = setTimeout(() => this.healthy(), this.opts.stableMs ?? 5000);
      this.opts.onConnect?.(this);
    });
    s.on("connect_error", (err) => {
      if (this.socket !== s) return;
      const reason = refusalReason(err);
      if (reason === null) return this.lost();
      this.drop();
      this.close(reason);
      this.opts.onRefused?.(reason, this);
    });
    s.on("disconnect", () => {
      if (this.socket === s) this.lost();
    });
    s.onAny((event: string, payload: unknown) => this.opts.onEvent?.(event, payload, this));
  }

  protected abort(): void {
    this.drop();
  }

  private lost(): void {
    this.drop();
    this.opts.onDisconnect?.(this);
    this.failed();
  }

  private drop(): void {
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.removeAllListeners();
      s.offAny();
      s.disconnect();
    }
  }
}
