// The /connect client of every metronome test: a real WebSocket, every frame kept as the exact
// text the server sent, server requests (play_sound/stop_sound) kept apart from replies so a test
// can await either without losing the other. Timestamps are the client's own clock, which a test
// may skew to play a phone whose clock is off.
import { afterAll, afterEach, beforeAll } from "bun:test";
import type { Config } from "../../../src/config.ts";
import { bootServer, type TestServer } from "../server.ts";
import { TestClient } from "../ws-client.ts";

export const OPEN_FRAME = '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}';

export interface Frame {
  text: string;
  json: any;
  /** Client clock (Date.now() + skew) when the frame arrived. */
  at: number;
}

export class MetronomeClient {
  /** Server → client requests, in arrival order. */
  readonly requests: Frame[] = [];
  /** Everything else (replies, batch arrays, errors), in arrival order. */
  readonly replies: Frame[] = [];
  private nextId = 1;

  private constructor(readonly ws: TestClient, readonly skew: number) {}

  /** Open, and check the open frame byte for byte. */
  static async open(url: string, skew = 0): Promise<MetronomeClient> {
    const ws = await TestClient.open(url);
    const first = await ws.next();
    if (first !== OPEN_FRAME) throw new Error(`open frame was ${first}`);
    return new MetronomeClient(ws, skew);
  }

  /** This client's clock. */
  now(): number {
    return Date.now() + this.skew;
  }

  private async pump(timeoutMs: number): Promise<void> {
    const text = await this.ws.next(timeoutMs);
    const json = JSON.parse(text);
    const f = { text, json, at: this.now() };
    if (!Array.isArray(json) && typeof json?.method === "string") this.requests.push(f);
    else this.replies.push(f);
  }

  private async take(from: Frame[], pred: (f: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = from.findIndex(pred);
      if (i >= 0) return from.splice(i, 1)[0]!;
      await this.pump(Math.max(1, deadline - Date.now()));
    }
  }

  /** The next reply frame, as exact text. */
  async reply(timeoutMs = 3000): Promise<string> {
    return (await this.take(this.replies, () => true, timeoutMs)).text;
  }

  /** The next server request with this method. */
  request(method: string, timeoutMs = 3000): Promise<Frame> {
    return this.take(this.requests, (f) => f.json.method === method, timeoutMs);
  }

  send(frame: string | Uint8Array | object): void {
    this.ws.send(frame);
  }

  /** Send a request with a fresh numeric id; resolves with the reply frame that carries that id. */
  async call(method: string, params?: unknown, timeoutMs = 3000): Promise<Frame> {
    const id = this.nextId++;
    this.send(params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id });
    return this.take(this.replies, (f) => !Array.isArray(f.json) && f.json.id === id, timeoutMs);
  }

  /** The `result` of a call (throws on a JSON-RPC error). */
  async result(method: string, params?: unknown): Promise<any> {
    const r = await this.call(method, params);
    if (!("result" in r.json)) throw new Error(`${method}: ${r.text}`);
    return r.json.result;
  }

  /** True when no frame at all arrives within ms (and none is pending). */
  async quiet(ms = 200): Promise<boolean> {
    return (await this.ws.quiet(ms)) && this.requests.length === 0 && this.replies.length === 0;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * One real server (default options unless overridden) for a test file, and phones on it: every
 * socket opened through it is closed after each test, the server after the file.
 */
export function metronomeServer(overrides: Partial<Config> = {}) {
  let server: TestServer | undefined;
  const open: MetronomeClient[] = [];
  beforeAll(async () => {
    server = await bootServer(overrides);
  });
  afterAll(() => server?.stop());
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  const phones = {
    get server(): TestServer {
      if (!server) throw new Error("server not started");
      return server;
    },
    /** A connected client whose clock is `skew` ms ahead of the server's. */
    async connect(skew = 0, path = "/connect"): Promise<MetronomeClient> {
      const c = await MetronomeClient.open(phones.server.ws(path), skew);
      open.push(c);
      return c;
    },
    /** A client with an id (its clock taught by time_utc). */
    async withId(skew = 0) {
      const c = await phones.connect(skew);
      const { client_id } = await c.result("get_id", { time_utc: c.now() });
      return Object.assign(c, { id: client_id as number });
    },
    /** A client that owns its group. */
    async owner(skew = 0) {
      const o = await phones.withId(skew);
      const r = await o.result("create_group", { time_utc: o.now() });
      if (r.group_id !== o.id) throw new Error(`create_group: ${JSON.stringify(r)}`);
      return o;
    },
    /** A client subscribed to group g. */
    async member(g: number, skew = 0) {
      const m = await phones.withId(skew);
      const r = await m.result("subscribe_to_group", { group_id: g });
      if (r.status !== "success") throw new Error(`subscribe_to_group: ${JSON.stringify(r)}`);
      return m;
    },
  };
  return phones;
}
