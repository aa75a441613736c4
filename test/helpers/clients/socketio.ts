// Wire-level helpers for the Socket.IO conformance tests: a WebSocket whose frames are read in
// arrival order exactly as sent (pings included, binary kept as bytes), like the published
// protocol test suite's waitFor(socket, "message").
import { TestClient } from "../ws-client.ts";

export type WireFrame = string | Uint8Array;

export class Wire {
  private constructor(readonly c: TestClient) {}

  static async open(url: string): Promise<Wire> {
    return new Wire(await TestClient.open(url));
  }

  /** The next frame, whatever it is (a ping "2" too). */
  async next(timeoutMs = 3000): Promise<WireFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.c.inbox.length === 0) {
      if (this.c.closed) throw new Error(`closed (${this.c.closed.code}) while waiting for a frame`);
      if (Date.now() > deadline) throw new Error("timed out waiting for a frame");
      await Bun.sleep(2);
    }
    const m = this.c.inbox.shift()!;
    return typeof m === "string" ? m : new Uint8Array(m);
  }

  /** The next n frames that are not pings (the suite's waitForPackets). */
  async packets(n: number): Promise<WireFrame[]> {
    const out: WireFrame[] = [];
    while (out.length < n) {
      const f = await this.next();
      if (f !== "2") out.push(f);
    }
    return out;
  }

  /** Every frame that arrives within ms, pings dropped. */
  async drain(ms = 150): Promise<WireFrame[]> {
    await Bun.sleep(ms);
    return this.c.inbox.splice(0).filter((m) => m !== "2").map((m) => (typeof m === "string" ? m : new Uint8Array(m)));
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
