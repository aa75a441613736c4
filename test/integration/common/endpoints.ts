// The six WebSocket endpoints of PROTOCOLS.md ("Endpoints"), each with what a client needs to hold
// a conversation: frames the server sends on open, one cheap request and how to recognise its
// answer, and the protocol's rate-limit reply. Used by the common-rules conformance tests.
import { connectWire } from "../../helpers/clients/socketio.ts";
import { TestClient } from "../../helpers/ws-client.ts";

export interface EndpointCase {
  name: string;
  path: string;
  /** Frames the server sends unasked right after the upgrade (consumed by `open`). */
  greeting: number;
  /** A cheap request that always gets exactly one reply. */
  request(i: number): string;
  isReply(frame: string): boolean;
  /** The protocol's own error reply for a frame refused by the rate limit. */
  isRateLimited(frame: string): boolean;
  /** A request padded to exactly `bytes` UTF-8 bytes with `fill` (plus ASCII to make up the rest). */
  padded(bytes: number, fill: string): string;
}

/** `prefix + fill* + ascii* + suffix` with exactly `bytes` UTF-8 bytes. */
export function sized(prefix: string, suffix: string, bytes: number, fill: string): string {
  const fixed = Buffer.byteLength(prefix + suffix);
  const unit = Buffer.byteLength(fill);
  const n = Math.floor((bytes - fixed) / unit);
  const s = prefix + fill.repeat(n) + "a".repeat(bytes - fixed - n * unit) + suffix;
  if (Buffer.byteLength(s) !== bytes) throw new Error("sized: arithmetic");
  return s;
}

const json = (f: string): any => {
  try {
    return JSON.parse(f);
  } catch {
    return null;
  }
};

const metronome = (path: string): EndpointCase => ({
  name: `metronome ${path}`,
  path,
  greeting: 1,
  request: (i) => JSON.stringify({ jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: i }),
  isReply: (f) => json(f)?.result?.status === "success",
  isRateLimited: (f) => json(f)?.error?.code === -32005,
  padded: (bytes, fill) => sized('{"jsonrpc":"2.0","method":"get_id","params":{"time_utc":1,"pad":"', '"},"id":1}', bytes, fill),
});

export const endpoints: EndpointCase[] = [
  metronome("/connect"),
  metronome("/metronome"),
  {
    name: "watch party",
    path: "/OpenSyncParty/ws",
    greeting: 0,
    request: (i) => JSON.stringify({ type: "ping", client: "c", payload: { client_ts: i }, ts: 1 }),
    isReply: (f) => json(f)?.type === "pong",
    isRateLimited: (f) => json(f)?.type === "error" && json(f)?.payload?.code === "rate_limited",
    padded: (bytes, fill) => sized('{"type":"ping","client":"c","payload":{"client_ts":1,"pad":"', '"},"ts":1}', bytes, fill),
  },
  {
    name: "clicker",
    path: "/ws",
    greeting: 0,
    request: () => "LISTEN 123456",
    isReply: (f) => f === "CONNECT",
    isRateLimited: (f) => f.startsWith("ERROR rate_limited"),
    // An over-long command is still a command: the answer is an ERROR line, the socket stays.
    padded: (bytes, fill) => sized("LISTEN ", "", bytes, fill),
  },
  {
    name: "buzzer",
    path: "/mediator",
    greeting: 0,
    request: () => '{"list":"pools"}',
    isReply: (f) => json(f)?.response === "pools",
    isRateLimited: (f) => json(f)?.error === "rate_limited",
    padded: (bytes, fill) => sized('{"list":"pools","pad":"', '"}', bytes, fill),
  },
];

/** Open a client and swallow the endpoint's greeting frames. */
export async function open(url: string, greeting: number): Promise<TestClient> {
  const c = await TestClient.open(url);
  for (let i = 0; i < greeting; i++) await c.next();
  return c;
}

/** A Socket.IO client over the raw WebSocket transport, connected to namespace "/", as a plain frame client. */
export async function openSocketIO(base: string): Promise<TestClient> {
  return (await connectWire(base)).c;
}

/** Read frames until the socket closes; returns them and the close code. */
export async function drain(c: TestClient, timeoutMs = 5000): Promise<{ frames: string[]; code: number }> {
  const frames: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      frames.push(await c.next(Math.max(1, deadline - Date.now())));
    } catch {
      if (c.closed) return { frames, code: c.closed.code };
      throw new Error(`socket still open after ${timeoutMs} ms (${frames.length} frames)`);
    }
  }
}

/** A WebSocket client that upgrades and then never answers anything (no pong, no close reply). */
export async function mute(port: number, path: string): Promise<{ bytes: () => Buffer; ended: Promise<void> }> {
  let buf = Buffer.alloc(0);
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data: (_s, d) => void (buf = Buffer.concat([buf, d])), close: () => end(), error: () => end() },
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const deadline = Date.now() + 3000;
  while (!buf.includes("\r\n\r\n") && Date.now() < deadline) await Bun.sleep(5);
  if (!buf.subarray(0, 12).equals(Buffer.from("HTTP/1.1 101"))) throw new Error("no upgrade: " + buf.toString());
  return { bytes: () => buf.subarray(buf.indexOf("\r\n\r\n") + 4), ended };
}

/** The status code of the first close frame in raw server-to-client bytes (unmasked), or null. */
export function closeCode(bytes: Buffer): number | null {
  let i = 0;
  while (i + 2 <= bytes.length) {
    const op = bytes[i]! & 0x0f;
    let len = bytes[i + 1]! & 0x7f;
    let j = i + 2;
    if (len === 126) (len = bytes.readUInt16BE(j)), (j += 2);
    else if (len === 127) (len = Number(bytes.readBigUInt64BE(j))), (j += 8);
    if (op === 8) return len >= 2 ? bytes.readUInt16BE(j) : 1005;
    i = j + len;
  }
  return null;
}
