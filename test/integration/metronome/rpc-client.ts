// A metronome test client over a real WebSocket: keeps the server's requests (play_sound, stop_sound)
// apart from the replies, so a test can await either without dropping the other.
import { TestClient } from "../../helpers/ws-client.ts";

export const OPEN = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';

export class RpcClient {
  private nextId = 1;
  /** Server → client requests, in arrival order. */
  readonly requests: any[] = [];
  /** Replies (single or batch arrays), in arrival order. */
  readonly replies: any[] = [];

  private constructor(readonly c: TestClient) {}

  /** Open and consume the open frame (checked byte for byte). */
  static async open(url: string): Promise<RpcClient> {
    const c = await TestClient.open(url);
    const first = await c.next();
    if (first !== OPEN) throw new Error(`unexpected open frame ${first}`);
    return new RpcClient(c);
  }

  private async pump(timeoutMs: number): Promise<void> {
    const frame = JSON.parse(await this.c.next(timeoutMs));
    if (!Array.isArray(frame) && typeof frame.method === "string") this.requests.push(frame);
    else this.replies.push(frame);
  }

  private async take<T>(from: T[], pred: (v: T) => boolean, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = from.findIndex(pred);
      if (i >= 0) return from.splice(i, 1)[0]!;
      await this.pump(Math.max(1, deadline - Date.now()));
    }
  }

  /** The next reply of any kind (raw-frame tests). */
  reply(timeoutMs = 3000): Promise<any> {
    return this.take(this.replies, () => true, timeoutMs);
  }

  /** The next server request with this method. */
  request(method: string, timeoutMs = 3000): Promise<any> {
    return this.take(this.requests, (r) => r.method === method, timeoutMs);
  }

  /** Call a method; resolves with the whole reply object. */
  async call(method: string, params?: unknown, timeoutMs = 3000): Promise<any> {
    const id = this.nextId++;
    this.c.send({ jsonrpc: "2.0", method, params, id });
    return this.take(this.replies, (r) => !Array.isArray(r) && r.id === id, timeoutMs);
  }

  /** Call a method and return `result`. */
  async result(method: string, params?: unknown): Promise<any> {
    const r = await this.call(method, params);
    if (!r.result) throw new Error(`${method}: ${JSON.stringify(r)}`);
    return r.result;
  }

  send(frame: string | object): void {
    this.c.send(frame);
  }

  /** True when nothing at all arrives within ms. */
  async quiet(ms = 150): Promise<boolean> {
    return (await this.c.quiet(ms)) && this.requests.length === 0 && this.replies.length === 0;
  }

  close(): void {
    this.c.close();
  }
}
