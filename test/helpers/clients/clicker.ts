// Black-box helpers for the clicker conformance tests (PROTOCOLS.md §3): real sockets only,
// and a way to run the real server as a child process so it can be killed with SIGKILL.
import type { Subprocess } from "bun";
import { join } from "node:path";
import { startChild } from "../../../scripts/lib/spawn.ts";
import { TestClient } from "../ws-client.ts";

/** A REGISTERED reply as the contract spells it: 6-digit id, 128-bit lower-case hex secret. */
export const REGISTERED = /^REGISTERED (\d{6}) ([0-9a-f]{32})$/;

export interface Registration {
  id: string;
  secret: string;
}

/** Sends `REGISTER [secret]` (the frame as given) and parses the strict reply. */
export async function register(c: TestClient, frame = "REGISTER"): Promise<Registration> {
  c.send(frame);
  const reply = await c.next();
  const m = REGISTERED.exec(reply);
  if (!m) throw new Error(`unexpected reply to ${JSON.stringify(frame)}: ${JSON.stringify(reply)}`);
  return { id: m[1]!, secret: m[2]! };
}

/** Opens clients against one URL and closes them all at the end of a test. */
export class Pool {
  private readonly open: TestClient[] = [];
  constructor(private readonly url: () => string) {}
  async client(): Promise<TestClient> {
    const c = await TestClient.open(this.url());
    this.open.push(c);
    return c;
  }
  /** A connection that has sent LISTEN and consumed the CONNECT reply (checked exactly). */
  async listener(ids: string, expectedConnect: string): Promise<TestClient> {
    const c = await this.client();
    c.send(`LISTEN ${ids}`);
    const reply = await c.next();
    if (reply !== expectedConnect) throw new Error(`LISTEN ${ids}: expected ${JSON.stringify(expectedConnect)}, got ${JSON.stringify(reply)}`);
    return c;
  }
  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}

/** Reads `n` frames (each within the timeout). */
export async function take(c: TestClient, n: number, timeoutMs = 3000): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) out.push(await c.next(timeoutMs));
  return out;
}

const ROOT = join(import.meta.dir, "..", "..", "..");

/** The real server, `bun src/main.ts --port 0 --data-dir X`, as a child process. */
export interface ChildServer {
  proc: Subprocess;
  port: number;
  ws: string;
  /** Resolves with the exit code (or the signal's negative number). */
  exited: Promise<number | null>;
}

export async function spawnServer(dataDir: string, extra: string[] = []): Promise<ChildServer> {
  const cmd = [process.execPath, join(ROOT, "src", "main.ts"), "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--log-format", "json", ...extra];
  const { proc, port } = await startChild(cmd, { cwd: ROOT });
  return { proc, port, ws: `ws://127.0.0.1:${port}/ws`, exited: proc.exited };
}

/**
 * A minimal WebSocket client on a bare TCP socket, written from RFC 6455, for what a browser-style
 * client cannot do: send exactly the handshake a device sends, send a ping with a payload, drop
 * the TCP connection without a close frame, or stay silent.
 */
export class RawWs {
  /** The handshake response head, as received. */
  head = "";
  readonly texts: string[] = [];
  readonly pongs: string[] = [];
  closeCode: number | null = null;
  ended = false;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly socket: import("bun").Socket) {}

  static async open(port: number, handshake: string[]): Promise<RawWs> {
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
    socket.write(handshake.join("\r\n") + "\r\n\r\n");
    await self.until(() => self.head !== "");
    return self;
  }

  private onEnd(): void {
    this.ended = true;
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
      const op = this.buf[0]! & 0x0f;
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
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (op === 0x1) this.texts.push(payload.toString("utf8"));
      else if (op === 0xa) this.pongs.push(payload.toString("utf8"));
      else if (op === 0x8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    }
    this.poke();
  }

  /** Sends one masked frame (clients must mask, RFC 6455 §5.3). */
  frame(opcode: number, payload: string): void {
    const data = Buffer.from(payload, "utf8");
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const len = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
    const masked = Buffer.from(data.map((b, i) => b ^ mask[i & 3]!));
    this.socket.write(Buffer.concat([len, mask, masked]));
  }
  send(text: string): void {
    this.frame(0x1, text);
  }

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
  /** Drops the TCP connection without a close frame. */
  drop(): void {
    this.socket.terminate();
  }
}

/** The handshake the RopeScore MicroPython clicker sends (Host with port, no Origin). */
export const micropythonHandshake = (port: number) => [
  "GET /ws HTTP/1.1",
  `Host: 127.0.0.1:${port}`,
  "Connection: Upgrade",
  "Upgrade: websocket",
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version: 13",
];

/** The handshake of Espruino's ws module, which the RopeScore Espruino clicker uses. */
export const espruinoHandshake = () => [
  "GET /ws HTTP/1.1",
  "Host: 127.0.0.1",
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Key: MTIzNDU2Nzg5YWJjZGVmZw==",
  "Sec-WebSocket-Version: 13",
  "Origin: Espruino",
];
