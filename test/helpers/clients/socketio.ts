// The /socket.io/ clients of every Socket.IO test: `Wire`, a WebSocket whose frames are read in
// arrival order exactly as sent (pings included, binary kept as bytes, like the published protocol
// test suite's waitFor(socket, "message")); `Polling`, long-polling requests made by hand; the
// relay's event frames; and `SioTestClient`, a socket.io-client 4.x wrapper whose events are
// queued so that next(event) can wait for one.
import { io, type Socket } from "socket.io-client";
import { TestClient } from "../ws-client.ts";

export type WireFrame = string | Uint8Array;

export class Wire {
  private constructor(readonly c: TestClient) {}

  static async open(url: string): Promise<Wire> {
    return new Wire(await TestClient.open(url));
  }

  /** The next frame, whatever it is (a ping "2" too). */
  async next(timeoutMs = 3000): Promise<WireFrame> {
    const m = await this.c.nextFrame(timeoutMs);
    return typeof m === "string" ? m : new Uint8Array(m);
  }

  /** The next n frames that are not pings (the suite's waitForPackets). */
  async packets(n: number, timeoutMs = 3000): Promise<WireFrame[]> {
    const deadline = Date.now() + timeoutMs;
    const out: WireFrame[] = [];
    while (out.length < n) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (f !== "2") out.push(f);
    }
    return out;
  }

  /** The next text frame that matches, skipping the others. */
  async until(pred: (text: string) => boolean, timeoutMs = 3000): Promise<string> {
    return this.c.until(pred, timeoutMs);
  }

  /** True when no frame other than a ping arrives within ms (pings that did are dropped). */
  async quiet(ms = 150): Promise<boolean> {
    await this.c.quiet(ms);
    return this.drop() === 0;
  }

  /** Every frame that arrives within ms, pings dropped (a window, for replies of unknown number). */
  async drain(ms = 150): Promise<WireFrame[]> {
    await this.c.quiet(ms);
    return this.c.inbox.splice(0).filter((m) => m !== "2").map((m) => (typeof m === "string" ? m : new Uint8Array(m)));
  }

  /** Frames received so far and not read, pings left out. */
  get pending(): WireFrame[] {
    return this.c.inbox.filter((m) => m !== "2").map((m) => (typeof m === "string" ? m : new Uint8Array(m)));
  }

  private drop(): number {
    return this.c.inbox.splice(0).filter((m) => m !== "2").length;
  }

  send(data: string | Uint8Array): void {
    this.c.send(data);
  }

  get closed() {
    return this.c.closed;
  }

  waitClose(timeoutMs = 3000) {
    return this.c.waitClose(timeoutMs);
  }

  close(): void {
    if (!this.c.closed) this.c.ws.close();
  }
}

/** Engine.IO long-polling by hand: the handshake, GETs and POSTs on one session. */
export class Polling {
  constructor(readonly base: string) {}
  url(sid?: string, extra = ""): string {
    return `${this.base}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}${extra}`;
  }
  /** Handshake; returns the sid and the open packet's fields. */
  async open(): Promise<{ sid: string; handshake: any; response: Response }> {
    const response = await fetch(this.url());
    const text = await response.text();
    if (!text.startsWith("0")) throw new Error(`not an open packet: ${text}`);
    const handshake = JSON.parse(text.slice(1));
    return { sid: handshake.sid, handshake, response };
  }
  get(sid: string, init?: RequestInit): Promise<Response> {
    return fetch(this.url(sid), init);
  }
  post(sid: string, body: string, init?: RequestInit): Promise<Response> {
    return fetch(this.url(sid), { method: "POST", body, ...init });
  }
}

/**
 * A raw WebSocket session on `ws` (the server's ws:// base) connected to "/": open packet and CONNECT
 * reply consumed. The reply carries a pid too when connection state recovery is on (the default).
 */
export async function connectWire(wsBase: string, auth = ""): Promise<Wire> {
  const w = await Wire.open(`${wsBase}/socket.io/?EIO=4&transport=websocket`);
  const open = await w.next();
  if (typeof open !== "string" || !open.startsWith('0{"sid"')) throw new Error(`no Engine.IO open packet: ${String(open)}`);
  w.send(`40${auth}`);
  const connected = await w.next();
  if (typeof connected !== "string" || !/^40\{"sid":"[^"]+"(,"pid":"[^"]+")?\}$/.test(connected)) throw new Error(`no Socket.IO CONNECT: ${String(connected)}`);
  return w;
}

/** A relay event frame: 42[event, payload], with an ack id when given. */
export const ev = (event: string, payload?: unknown, ackId?: number) => `42${ackId ?? ""}${JSON.stringify(payload === undefined ? [event] : [event, payload])}`;

export type RelayFrame = [kind: "event" | "ack" | "other", eventOrAckId: string | number, payload: unknown];
/** Decodes "42[...]" / "43n[...]" frames into [kind, event-or-ack-id, payload]. */
export function decodeFrame(f: WireFrame): RelayFrame {
  if (typeof f !== "string") throw new Error("unexpected binary frame");
  const m = /^4([23])(\d*)(\[.*\])$/s.exec(f);
  if (!m) return ["other", f, null];
  const arr = JSON.parse(m[3]!) as unknown[];
  return m[1] === "2" ? ["event", arr[0] as string, arr[1]] : ["ack", Number(m[2]), arr[0]];
}

export type Mode = "default" | "websocket" | "polling";
export const modes: Mode[] = ["default", "websocket", "polling"];

const transportsFor = (mode: Mode) => (mode === "websocket" ? ["websocket"] : mode === "polling" ? ["polling"] : ["polling", "websocket"]);

export class SioTestClient {
  private readonly queue: Array<{ event: string; args: any[] }> = [];
  private wake: (() => void) | null = null;
  disconnected: string | null = null;

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, ...args: any[]) => this.push(event, args));
    socket.on("disconnect", (reason) => {
      this.disconnected = reason;
      this.push("disconnect", [reason]);
    });
  }

  private push(event: string, args: any[]): void {
    this.queue.push({ event, args });
    this.wake?.();
  }

  /** Connects (no reconnection); rejects with the CONNECT_ERROR message when refused. */
  static connect(base: string, mode: Mode, auth?: Record<string, unknown>): Promise<SioTestClient> {
    const socket = io(base, { transports: transportsFor(mode) as any, forceNew: true, reconnection: false, auth, timeout: 5000 });
    const client = new SioTestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(client));
      socket.once("connect_error", (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  emit(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  emitWithAck(event: string, ...args: unknown[]): Promise<any> {
    return this.socket.timeout(5000).emitWithAck(event, ...args);
  }

  /** The first argument of the next `event` (earlier other events stay queued). */
  async next(event: string, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((e) => e.event === event);
      if (i >= 0) return this.queue.splice(i, 1)[0]!.args[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for "${event}"; queued: ${JSON.stringify(this.queue.map((e) => e.event))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** Events of this name received so far (removed from the queue). */
  take(event: string): any[] {
    const out: any[] = [];
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.event === event) out.unshift(this.queue.splice(i, 1)[0]!.args[0]);
    return out;
  }

  get transport(): string {
    return this.socket.io.engine?.transport?.name ?? "";
  }

  close(): void {
    this.socket.close();
  }
}
