// A bare TCP client that performs the WebSocket handshake and then never answers anything,
// like a phone that dropped off the network without a FIN.
import type { Socket } from "bun";

export async function silentWebSocket(port: number, path: string): Promise<{ closed: Promise<void>; socket: Socket }> {
  let onClose!: () => void;
  const closed = new Promise<void>((r) => (onClose = r));
  let upgraded!: () => void;
  const handshake = new Promise<void>((r) => (upgraded = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, data) {
        if (data.toString("latin1").startsWith("HTTP/1.1 101")) upgraded();
      },
      close: () => onClose(),
      error: () => onClose(),
    },
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await handshake;
  return { closed, socket };
}

/** The HTTP status a WebSocket handshake on `path` gets (101 when upgraded), with extra request headers. */
export async function upgradeStatus(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  let done!: (status: number) => void;
  const status = new Promise<number>((r) => (done = r));
  let head = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, data) {
        head += data.toString("latin1");
        const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
        if (m) done(Number(m[1]));
      },
      close: () => done(0),
      error: () => done(0),
    },
  });
  const { host = `127.0.0.1:${port}`, ...rest } = headers;
  const extra = Object.entries(rest).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
  const s = await status;
  socket.end();
  return s;
}

/**
 * Upgrade, then send `count` ping frames at once; resolves with the close code the server sends
 * (0 if the connection ends without a close frame, -1 if it is still open after 5 s).
 */
export async function pingFlood(port: number, path: string, count: number): Promise<number> {
  let done!: (code: number) => void;
  const result = new Promise<number>((r) => (done = r));
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(s, data) {
        buf = Buffer.concat([buf, data]);
        if (!upgraded) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          upgraded = true;
          buf = buf.subarray(end + 4);
          // Client frames are masked: FIN|ping, MASK|0 length, a zero mask key.
          const ping = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);
          s.write(Buffer.concat(Array.from({ length: count }, () => ping)));
        }
        // Server frames: skip pongs, stop at the close frame.
        while (buf.length >= 2) {
          const op = buf[0]! & 0x0f;
          const len = buf[1]! & 0x7f;
          if (len > 125 || buf.length < 2 + len) return;
          if (op === 0x8) return done(len >= 2 ? buf.readUInt16BE(2) : 1005);
          buf = buf.subarray(2 + len);
        }
      },
      close: () => done(0),
      error: () => done(0),
    },
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const t = setTimeout(() => done(-1), 5000);
  const code = await result;
  clearTimeout(t);
  socket.end();
  return code;
}
