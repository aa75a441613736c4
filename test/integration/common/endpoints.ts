// The WebSocket endpoints (docs/common.md#endpoints), each with what a client needs to hold a
// conversation: frames the server sends on open, one cheap request and how to recognise its
// answer, and the protocol's rate-limit reply. Used by the tests of the common rules.
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
