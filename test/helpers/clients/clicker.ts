// The /ws client helpers of every clicker test (docs/clicker.md#commands): REGISTER with the
// strict reply, listeners whose CONNECT is checked, reading n lines, and the handshakes the real
// RopeScore clickers send (for the raw client in ../raw-socket.ts).
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
