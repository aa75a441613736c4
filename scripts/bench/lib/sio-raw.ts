// Minimal Socket.IO v5 clients over Engine.IO v4 for F4's "raw" load generator, one per transport:
// they send and receive exactly the packets socket.io-client does (`40` connect, `42[event,data]`
// events, `3` answers to `2` pings) with none of the library's machinery. RawSio speaks WebSocket
// itself on a raw TCP socket (Bun.connect): every frame read in one chunk is handled in one
// callback, and the frames it answers with leave in one write per socket and turn. RawSioPolling
// uses HTTP long-polling over fetch. So the load generator costs far less CPU than the servers it
// measures. Same on/once/emit/disconnect surface as socket.io-client's Socket.
import type { Socket } from "bun";

type Handler = (payload: any) => void;

interface St {
  client: RawSio;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A masked client text frame (RFC 6455 sections 5.2–5.3). The masking key is 0: any key is valid, and
 * with this one the payload goes out as it is, so no byte-by-byte XOR is paid per frame.
 */
function textFrame(text: string): Uint8Array {
  const body = enc.encode(text);
  const n = body.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + 4 + n);
  out[0] = 0x81;
  out[1] = 0x80 | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) new DataView(out.buffer).setUint16(2, n);
  else if (ext === 8) new DataView(out.buffer).setBigUint64(2, BigInt(n));
  out.set(body, 2 + ext + 4);
  return out;
}

/** What both raw clients share: event handlers, emit, and the Socket.IO packets they understand. */
abstract class RawPeer {
  private readonly handlers = new Map<string, Handler[]>();

  on(event: string, h: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), h]);
    return this;
  }
  once(event: string, h: Handler): this {
    const wrap: Handler = (p) => {
      this.handlers.set(event, (this.handlers.get(event) ?? []).filter((x) => x !== wrap));
      h(p);
    };
    return this.on(event, wrap);
  }
  emit(event: string, payload: unknown): void {
    this.send("42" + JSON.stringify([event, payload]));
  }

  /** Sends one Engine.IO packet. */
  protected abstract send(packet: string): void;

  /** One Engine.IO packet from the server: pings are answered, CONNECT and EVENT dispatched. */
  protected packet(t: string): void {
    if (t === "2") this.send("3");
    else if (t.startsWith("40")) this.fire("connect", undefined);
    else if (t.startsWith("42")) {
      const [event, payload] = JSON.parse(t.slice(2)) as [string, unknown];
      this.fire(event, payload);
    }
  }

  private fire(event: string, payload: unknown): void {
    const hs = this.handlers.get(event);
    if (hs) for (const h of hs) h(payload);
  }
}

export class RawSio extends RawPeer {
  private socket: Socket<St> | null = null;
  private upgraded = false;
  private head = "";
  /** Bytes of an incomplete frame carried over to the next chunk. */
  private rest: Uint8Array | null = null;
  /** Frames written while a flush is pending: they leave together. */
  private out: Uint8Array[] = [];
  private flushQueued = false;
  private backlog: Uint8Array | null = null;

  static open(base: string): RawSio {
    const c = new RawSio();
    const { port } = new URL(base);
    void Bun.connect<St>({ hostname: "127.0.0.1", port: Number(port), data: { client: c }, socket: handlers }).then((s) => {
      c.socket = s;
      const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
      s.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    return c;
  }

  disconnect(): void {
    this.socket?.end();
  }

  protected send(text: string): void {
    this.out.push(textFrame(text));
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const frames = this.out;
    this.out = [];
    const bytes = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    const s = this.socket;
    if (!s) throw new Error("socket.io raw client: a frame before the connection was open");
    if (this.backlog) {
      this.backlog = Buffer.concat([this.backlog, bytes]);
      return;
    }
    const n = s.write(bytes);
    if (n < bytes.length) this.backlog = bytes.subarray(Math.max(0, n));
  }

  drained(): void {
    const b = this.backlog;
    if (!b || !this.socket) return;
    this.backlog = null;
    this.write(b);
  }

  /** A chunk from the server. */
  data(chunk: Uint8Array): void {
    if (this.upgraded) return this.frames(chunk);
    // The HTTP response is ASCII; the frames that may follow it in the same chunk are bytes.
    this.head += Buffer.from(chunk).toString("latin1");
    const end = this.head.indexOf("\r\n\r\n");
    if (end < 0) return;
    if (!this.head.startsWith("HTTP/1.1 101")) throw new Error("socket.io handshake refused: " + this.head.split("\r\n")[0]);
    const after = Buffer.from(this.head.slice(end + 4), "latin1");
    this.upgraded = true;
    this.head = "";
    if (after.length) this.frames(after);
  }

  /** Walks the server's frames (never masked, RFC 6455 section 5.1) in the chunk. */
  private frames(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let i = 0;
    while (i + 2 <= buf.length) {
      const op = buf[i]! & 0x0f;
      const l7 = buf[i + 1]! & 0x7f;
      let at = i + 2;
      let len = l7;
      if (l7 === 126) {
        if (at + 2 > buf.length) break;
        len = (buf[at]! << 8) | buf[at + 1]!;
        at += 2;
      } else if (l7 === 127) {
        if (at + 8 > buf.length) break;
        len = Number(new DataView(buf.buffer, buf.byteOffset + at, 8).getBigUint64(0));
        at += 8;
      }
      if (at + len > buf.length) break;
      const body = buf.subarray(at, at + len);
      i = at + len;
      if (op === 1) this.packet(dec.decode(body));
      else if (op === 8) this.socket?.end();
      else if (op === 9) this.write(new Uint8Array([0x8a, 0x80 | body.length, 0, 0, 0, 0, ...body]));
    }
    if (i < buf.length) this.rest = buf.slice(i);
  }

  /** Engine.IO's open packet ("0{…}") is answered with a Socket.IO CONNECT; the rest as usual. */
  protected override packet(t: string): void {
    if (t.charCodeAt(0) === 0x30) this.send("40");
    else super.packet(t);
  }
}

const handlers = {
  data(s: Socket<St>, chunk: Buffer) {
    s.data.client.data(chunk);
  },
  drain(s: Socket<St>) {
    s.data.client.drained();
  },
  close() {},
  error(_s: Socket<St>, err: Error) {
    throw err;
  },
};

/**
 * The same client over Engine.IO's HTTP long-polling (what socket.io-client starts with, and stays
 * on when WebSocket is unavailable): one GET held open for what the server sends, one POST at a
 * time for what the client sends (Engine.IO allows no overlapping POSTs), the packets of each
 * joined with the record separator. Plain fetch with keep-alive: no XHR emulation, no parser
 * objects, so the load generator stays cheaper than the servers it measures.
 */
export class RawSioPolling extends RawPeer {
  private url = "";
  private outbox: string[] = [];
  private posting = false;
  private open = true;

  static open(base: string): RawSioPolling {
    const c = new RawSioPolling();
    void c.start(base);
    return c;
  }

  disconnect(): void {
    if (!this.open) return;
    this.send("1");
    this.open = false;
  }

  private async start(base: string): Promise<void> {
    const first = await (await fetch(`${base}/socket.io/?EIO=4&transport=polling`)).text();
    const { sid } = JSON.parse(first.slice(1)) as { sid: string };
    this.url = `${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    this.send("40");
    while (this.open) {
      const r = await fetch(this.url).catch(() => null);
      if (!r || r.status !== 200) break;
      for (const p of (await r.text()).split("\x1e")) this.packet(p);
    }
    this.open = false;
  }

  protected send(packet: string): void {
    this.outbox.push(packet);
    if (!this.posting) void this.post();
  }

  private async post(): Promise<void> {
    this.posting = true;
    while (this.outbox.length) {
      const body = this.outbox.join("\x1e");
      this.outbox = [];
      const r = await fetch(this.url, { method: "POST", body, headers: { "content-type": "text/plain;charset=UTF-8" } }).catch(() => null);
      if (r) await r.arrayBuffer();
    }
    this.posting = false;
  }

  /** Engine.IO's close packet ends the GET loop; the rest as usual. */
  protected override packet(t: string): void {
    if (t === "1") this.open = false;
    else super.packet(t);
  }
}
