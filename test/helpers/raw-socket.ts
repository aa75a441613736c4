// The one raw WebSocket client of the tests: a bare TCP socket that performs the handshake written
// out line by line and then speaks RFC 6455 frames itself, for what a browser-style client cannot
// do: send exactly the handshake a device sends (or a wrong one), send a ping with a payload or a
// flood of pings, stay silent (never a pong, never a close reply), or drop the TCP connection
// without a close frame. Server frames are kept in arrival order, pings and pongs included.
import type { Socket } from "bun";

export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** The handshake of an ordinary client for `path`, with extra header lines; a `host` header replaces the default Host. */
export function handshake(port: number, path: string, headers: Record<string, string> = {}): string[] {
  const { host = `127.0.0.1:${port}`, ...rest } = headers;
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...Object.entries(rest).map(([k, v]) => `${k}: ${v}`),
  ];
}

export class RawWs {
  /** The handshake response head, as received ("" until it came). */
  head = "";
  /** Every frame the server sent, in order. */
  readonly frames: ServerFrame[] = [];
  readonly texts: string[] = [];
  readonly pongs: string[] = [];
  /** The status code of the server's close frame (1005 when it carried none), null before one came. */
  closeCode: number | null = null;
  /** True once the TCP connection has ended (either side). */
  ended = false;
  /** Resolves when the TCP connection ends. */
  readonly closed: Promise<void>;
  private onClosed!: () => void;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((r) => (this.onClosed = r));
  }

  /** Connects and sends the handshake lines; resolves once the response head (any status) or the end of the connection came. */
  static async open(port: number, lines: string[]): Promise<RawWs> {
    let self!: RawWs;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, d) => self.onData(Buffer.from(d)),
        close: () => self.onEnd(),
        error: () => self.onEnd(),
      },
    });
    self = new RawWs(socket);
    socket.write(lines.join("\r\n") + "\r\n\r\n");
    await self.until(() => self.head !== "" || self.ended);
    return self;
  }

  /** The HTTP status of the handshake response (101 when upgraded), 0 when none came. */
  get status(): number {
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.head)?.[1] ?? 0);
  }

  private onEnd(): void {
    this.ended = true;
    this.onClosed();
    this.poke();
  }
  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (this.head === "") {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.head = this.buf.subarray(0, end).toString("latin1");
      this.buf = this.buf.subarray(end + 4);
    }
    for (;;) {
      if (this.buf.length < 2) break;
      const fin = (this.buf[0]! & 0x80) !== 0;
      const opcode = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) break;
      const payload = Buffer.from(this.buf.subarray(at, at + len));
      this.buf = this.buf.subarray(at + len);
      this.frames.push({ fin, opcode, payload });
      if (opcode === 0x1) this.texts.push(payload.toString("utf8"));
      else if (opcode === 0xa) this.pongs.push(payload.toString("utf8"));
      else if (opcode === 0x8 && this.closeCode === null) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    }
    this.poke();
  }

  /** One masked frame (clients must mask, RFC 6455 section 5.3). */
  static frame(opcode: number, payload: string): Buffer {
    const data = Buffer.from(payload, "utf8");
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const len = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
    const masked = Buffer.from(data.map((b, i) => b ^ mask[i & 3]!));
    return Buffer.concat([len, mask, masked]);
  }
  /** Sends one masked frame. */
  frame(opcode: number, payload: string): void {
    this.socket.write(RawWs.frame(opcode, payload));
  }
  /** Sends bytes as they are (several frames in one write, say). */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }
  /**
   * Sends all of bytes even when the socket's buffer fills (a write then takes only part: Bun's
   * socket does not buffer), trying again every millisecond. False once the connection is closed
   * or `timeoutMs` passed: a flood that the server has cut off.
   */
  async writeAll(bytes: Uint8Array, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let at = 0; at < bytes.length; ) {
      const n = this.ended ? -1 : this.socket.write(bytes, at);
      if (n < 0) return false;
      at += n;
      if (at < bytes.length) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    return true;
  }
  send(text: string): void {
    this.frame(0x1, text);
  }

  /** Waits until pred() holds (checked on every arrival and at the end of the connection). */
  async until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("raw client: timed out");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
  async nextText(timeoutMs = 3000): Promise<string> {
    await this.until(() => this.texts.length > 0 || this.ended, timeoutMs);
    const t = this.texts.shift();
    if (t === undefined) throw new Error("raw client: connection ended");
    return t;
  }
  /** Ends the TCP connection politely (FIN), without a close frame. */
  end(): void {
    this.socket.end();
  }
  /** Drops the TCP connection without a close frame. */
  drop(): void {
    this.socket.terminate();
  }
}

/** Upgrades, then never answers anything, like a phone that dropped off the network without a FIN. */
export async function silentWebSocket(port: number, path: string): Promise<RawWs> {
  const ws = await RawWs.open(port, handshake(port, path));
  if (ws.status !== 101) throw new Error(`no upgrade on ${path}: ${ws.head}`);
  return ws;
}

/** The HTTP status a WebSocket handshake on `path` gets (101 when upgraded), with extra request headers. */
export async function upgradeStatus(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = await RawWs.open(port, handshake(port, path, headers));
  ws.end();
  return ws.status;
}

/**
 * Upgrade, then send `count` ping frames at once; resolves with the close code the server sends
 * (0 if the connection ends without a close frame, -1 if it is still open after 5 s).
 */
export async function pingFlood(port: number, path: string, count: number): Promise<number> {
  const ws = await RawWs.open(port, handshake(port, path));
  ws.write(Buffer.concat(Array.from({ length: count }, () => RawWs.frame(0x9, ""))));
  try {
    await ws.until(() => ws.closeCode !== null || ws.ended, 5000);
  } catch {
    ws.end();
    return -1;
  }
  ws.end();
  return ws.closeCode ?? 0;
}
