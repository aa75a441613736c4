// Cheap subscriber clients: raw TCP sockets (Bun.connect, thousands per process) that do the
// WebSocket handshake (RFC 6455 section 4.1), send a few setup frames, and from then on only walk the
// frame headers to count frames and bytes. No payload is decoded or copied (except control
// frames and an optional few captured frames), so the server, not the client, is the bottleneck.
import type { Socket } from "bun";

/** Shared counters of a group of clients (one room); handlers add to them in place. */
export interface Tally {
  frames: number;
  bytes: number;
  /** Called after every chunk (the closed-loop pump hooks in here). */
  onData?: () => void;
}

export interface RawOptions {
  tally: Tally;
  /** Text frames to send right after the handshake. */
  setup?: string[];
  /** Keep the text of the first `capture` data frames (to check setup replies). */
  capture?: number;
  /**
   * Called with the text of every data frame (the soak checks each message's sequence number).
   * Only clients that set it pay for decoding; the counting clients stay header walkers.
   */
  onText?: (text: string) => void;
}

interface St {
  tally: Tally;
  upgraded: boolean;
  head: string;
  hdr: Uint8Array;
  hdrLen: number;
  hdrNeed: number;
  remaining: number;
  op: number;
  fin: boolean;
  keep: Uint8Array[] | null;
  capture: number;
  onText: ((text: string) => void) | null;
  texts: string[];
  frames: number;
  closeCode: number | null;
  ended: boolean;
  out: Uint8Array[];
  opened: (ok: boolean, why?: string) => void;
  closed: () => void;
}

export class RawClient {
  constructor(
    readonly socket: Socket<St>,
    readonly done: Promise<void>,
  ) {}
  get frames(): number {
    return this.socket.data.frames;
  }
  get texts(): string[] {
    return this.socket.data.texts;
  }
  get closeCode(): number | null {
    return this.socket.data.closeCode;
  }
  /** The TCP connection is gone (closed by either side, with or without a close frame). */
  get ended(): boolean {
    return this.socket.data.ended;
  }
  send(text: string): void {
    write(this.socket, frame(1, new TextEncoder().encode(text)));
  }
  /** Writes bytes as they are (many frames at once); what the socket does not take waits for its drain. */
  write(bytes: Uint8Array): void {
    write(this.socket, bytes);
  }
  /** Writes still waiting for the socket to drain (a flooder writes more only when this is 0). */
  get backlog(): number {
    return this.socket.data.out.length;
  }
  /** Clean close: a close frame (1000), then FIN. */
  close(): void {
    write(this.socket, frame(8, new Uint8Array([0x03, 0xe8])));
    this.socket.end();
  }
  /** Drop the TCP connection without a close frame. */
  abort(): void {
    this.socket.terminate();
  }
}

/** A masked client frame (RFC 6455 sections 5.2–5.3). */
export function frame(op: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + 4 + n);
  out[0] = 0x80 | op;
  out[1] = 0x80 | (ext === 0 ? n : ext === 2 ? 126 : 127);
  const dv = new DataView(out.buffer);
  if (ext === 2) dv.setUint16(2, n);
  else if (ext === 8) dv.setBigUint64(2, BigInt(n));
  const m = 2 + ext;
  crypto.getRandomValues(out.subarray(m, m + 4));
  for (let i = 0; i < n; i++) out[m + 4 + i] = payload[i]! ^ out[m + (i & 3)]!;
  return out;
}

function write(s: Socket<St>, bytes: Uint8Array): void {
  const st = s.data;
  if (st.out.length) {
    st.out.push(bytes);
    return;
  }
  const n = s.write(bytes);
  if (n < bytes.length) st.out.push(bytes.subarray(Math.max(0, n)));
}

function finish(s: Socket<St>): void {
  const st = s.data;
  const op = st.op;
  const body = st.keep ? Buffer.concat(st.keep) : null;
  st.keep = null;
  if (op === 8) {
    st.closeCode = body && body.length >= 2 ? body.readUInt16BE(0) : 1005;
    s.end();
  } else if (op === 9) {
    write(s, frame(10, body ?? new Uint8Array(0)));
  } else if (op < 8 && st.fin) {
    st.frames++;
    st.tally.frames++;
    if (body && st.capture > 0) {
      st.capture--;
      st.texts.push(body.toString("utf8"));
    }
    if (st.onText) st.onText(body ? body.toString("utf8") : "");
  }
}

function walk(s: Socket<St>, u8: Uint8Array, from: number): void {
  const st = s.data;
  const n = u8.length;
  let i = from;
  while (i < n) {
    if (st.remaining > 0) {
      const k = Math.min(st.remaining, n - i);
      if (st.keep) st.keep.push(u8.slice(i, i + k));
      st.remaining -= k;
      i += k;
      if (st.remaining === 0) finish(s);
      continue;
    }
    st.hdr[st.hdrLen++] = u8[i++]!;
    if (st.hdrLen === 2) {
      const l7 = st.hdr[1]! & 0x7f;
      st.hdrNeed = 2 + (l7 === 126 ? 2 : l7 === 127 ? 8 : 0) + (st.hdr[1]! & 0x80 ? 4 : 0);
    }
    if (st.hdrLen < 2 || st.hdrLen < st.hdrNeed) continue;
    const h = st.hdr;
    const l7 = h[1]! & 0x7f;
    const len = l7 < 126 ? l7 : l7 === 126 ? (h[2]! << 8) | h[3]! : Number(new DataView(h.buffer).getBigUint64(2));
    st.op = h[0]! & 0x0f;
    st.fin = (h[0]! & 0x80) !== 0;
    st.hdrLen = 0;
    st.remaining = len;
    st.keep = st.op >= 8 || st.capture > 0 || st.onText ? [] : null;
    if (len === 0) finish(s);
  }
}

const handlers = {
  open(s: Socket<St>) {
    s.data.out = [];
  },
  data(s: Socket<St>, data: Buffer) {
    const st = s.data;
    st.tally.bytes += data.length;
    if (st.upgraded) {
      walk(s, data, 0);
    } else {
      st.head += data.toString("latin1");
      const end = st.head.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!st.head.startsWith("HTTP/1.1 101")) {
        st.opened(false, st.head.split("\r\n")[0]);
        s.end();
        return;
      }
      st.upgraded = true;
      const rest = data.subarray(data.length - (st.head.length - end - 4));
      st.head = "";
      st.opened(true);
      walk(s, rest, 0);
    }
    st.tally.onData?.();
  },
  drain(s: Socket<St>) {
    const out = s.data.out;
    while (out.length) {
      const b = out[0]!;
      const n = s.write(b);
      if (n >= b.length) out.shift();
      else {
        out[0] = b.subarray(Math.max(0, n));
        return;
      }
    }
  },
  close(s: Socket<St>) {
    s.data.ended = true;
    s.data.opened(false, "closed during handshake");
    s.data.closed();
  },
  error(s: Socket<St>, err: Error) {
    s.data.opened(false, err.message);
  },
  connectError(s: Socket<St>, err: Error) {
    s.data.ended = true;
    s.data.opened(false, err.message);
    s.data.closed();
  },
};

/** Open one cheap client on ws://127.0.0.1:port{path}; resolves after the 101 and the setup frames. */
export async function connectRaw(port: number, path: string, opts: RawOptions): Promise<RawClient> {
  let opened!: (ok: boolean, why?: string) => void;
  const ready = new Promise<void>((resolve, reject) => {
    let settled = false;
    opened = (ok, why) => {
      if (settled) return;
      settled = true;
      ok ? resolve() : reject(new Error(`handshake on ${path} failed: ${why}`));
    };
  });
  let closed!: () => void;
  const done = new Promise<void>((r) => (closed = r));
  const st: St = {
    tally: opts.tally,
    upgraded: false,
    head: "",
    hdr: new Uint8Array(14),
    hdrLen: 0,
    hdrNeed: 2,
    remaining: 0,
    op: 0,
    fin: true,
    keep: null,
    capture: opts.capture ?? 0,
    onText: opts.onText ?? null,
    texts: [],
    frames: 0,
    closeCode: null,
    ended: false,
    out: [],
    opened,
    closed,
  };
  const socket = await Bun.connect<St>({ hostname: "127.0.0.1", port, data: st, socket: handlers });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await ready;
  const c = new RawClient(socket, done);
  for (const t of opts.setup ?? []) c.send(t);
  return c;
}

/** Open many clients with at most `parallel` handshakes in flight (a full accept backlog costs 1 s SYN retries). */
export async function connectMany(count: number, parallel: number, open: (i: number) => Promise<RawClient>): Promise<RawClient[]> {
  const out: RawClient[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return out;
}
