// Raw Engine.IO helpers for tests: long-polling requests by hand and WebSocket frames as sent.
import type { TestClient } from "../../helpers/ws-client.ts";

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

/** The next n frames that are not Engine.IO pings ("2"), text or bytes exactly as received. */
export async function frames(c: TestClient, n: number, timeoutMs = 3000): Promise<Array<string | Uint8Array>> {
  const out: Array<string | Uint8Array> = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const m = c.inbox.shift();
    if (m === undefined) {
      if (c.closed || Date.now() > deadline) throw new Error(`got ${out.length} of ${n} frames (closed: ${JSON.stringify(c.closed)})`);
      await Bun.sleep(5);
    } else if (m !== "2") out.push(typeof m === "string" ? m : new Uint8Array(m));
  }
  return out;
}

export async function frame(c: TestClient, timeoutMs?: number): Promise<string | Uint8Array> {
  return (await frames(c, 1, timeoutMs))[0]!;
}
