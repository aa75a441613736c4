// The /OpenSyncParty/ws client of every watch-party test (docs/syncparty.md#messages): a real
// WebSocket, raw envelopes out, and every frame in checked against the envelope rule (every
// message the server sends carries server_ts, in server epoch ms, and ts).
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import type { Config } from "../../../src/config.ts";
import { bootServer, type TestServer } from "../server.ts";
import { TestClient } from "../ws-client.ts";

export const PATH = "/OpenSyncParty/ws";
/** The keys of every server message, sorted (the envelope plus server_ts). */
export const ENVELOPE_KEYS = ["client", "payload", "room", "server_ts", "ts", "type"];

export interface Msg {
  type: string;
  room: string | null;
  client: string | null;
  payload: any;
  ts: number;
  server_ts: number;
}

/** Checks that apply to every server frame, whatever its type. */
export function checkEnvelope(text: string): Msg {
  const m = JSON.parse(text) as Msg;
  expect(typeof m).toBe("object");
  expect(typeof m.type).toBe("string");
  expect(typeof m.server_ts).toBe("number");
  expect(typeof m.ts).toBe("number");
  expect(Number.isInteger(m.server_ts)).toBe(true);
  // epoch ms, not seconds and not a monotonic clock
  expect(Math.abs(m.server_ts - Date.now())).toBeLessThan(10_000);
  expect(typeof m.payload).toBe("object");
  expect(m.payload).not.toBeNull();
  for (const k of ["room", "client"] as const) expect(m[k] === null || typeof m[k] === "string").toBe(true);
  return m;
}

export class Peer {
  /** The resume_token of the seat from the last room_state create()/join() got. */
  resumeToken: string | null = null;
  constructor(readonly ws: TestClient, public id: string) {}

  /** Send an object as JSON, exactly as given (no defaults filled in). */
  raw(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** An envelope from this client, shaped as the original clients send it. */
  send(type: string, room: string | null, payload: object = {}, extra: object = {}): void {
    this.raw({ type, room, client: this.id, payload, ts: Date.now(), ...extra });
  }

  async next(timeoutMs = 3000): Promise<Msg> {
    return checkEnvelope(await this.ws.next(timeoutMs));
  }

  async expect(type: string, timeoutMs?: number): Promise<Msg> {
    const m = await this.next(timeoutMs);
    if (m.type !== type) throw new Error(`${this.id}: expected ${type}, got ${JSON.stringify(m)}`);
    return m;
  }

  async expectError(code: string): Promise<Msg> {
    const m = await this.expect("error");
    if (m.payload.code !== code) throw new Error(`${this.id}: expected error ${code}, got ${JSON.stringify(m)}`);
    expect(Object.keys(m.payload).sort()).toEqual(["code", "message"]);
    expect(typeof m.payload.message).toBe("string");
    expect(m.payload.message.length).toBeGreaterThan(0);
    return m;
  }

  /** Skip frames until one of this type (each still envelope-checked). */
  async until(type: string, timeoutMs = 3000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m.type === type) return m;
    }
  }

  /** Nothing arrives for ms. */
  quiet(ms = 150): Promise<boolean> {
    return this.ws.quiet(ms);
  }

  async create(room: string | null, payload: object = {}): Promise<Msg> {
    this.send("create_room", room, { media_url: "https://example.test/film.mp4", start_pos: 0, name: this.id, options: {}, ...payload });
    return this.seated(await this.expect("room_state"));
  }

  async join(room: string, payload: object = {}): Promise<Msg> {
    this.send("join_room", room, { name: this.id, ...payload });
    return this.seated(await this.expect("room_state"));
  }

  private seated(rs: Msg): Msg {
    this.resumeToken = rs.payload.resume_token;
    return rs;
  }

  close(): void {
    this.ws.close();
  }
}

let seq = 0;
export const roomName = (p = "conf") => `${p}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;

/** One server per describe block; peers opened by a test are closed after it. */
export function harness(overrides: Partial<Config> = {}) {
  let server: TestServer | null = null;
  const open: Peer[] = [];
  return {
    async boot() {
      server = await bootServer(overrides);
    },
    async stop() {
      await server?.stop();
    },
    cleanup() {
      for (const p of open.splice(0)) p.close();
    },
    get server(): TestServer {
      return server!;
    },
    async peer(id: string): Promise<Peer> {
      const p = new Peer(await TestClient.open(server!.ws(PATH)), id);
      open.push(p);
      return p;
    },
    /** Host h plus guests, seated in order, with every inbox drained. */
    async room(guests: string[], createPayload: object = {}) {
      const id = roomName();
      const h = await this.peer("h");
      await h.create(id, createPayload);
      const gs: Peer[] = [];
      for (const g of guests) {
        const p = await this.peer(g);
        await p.join(id);
        gs.push(p);
        for (const q of [h, ...gs.slice(0, -1)]) {
          await q.expect("client_joined");
          await q.expect("participants_update");
        }
      }
      return { id, h, gs };
    },
  };
}

/** harness() booted before the enclosing block, stopped after it, its peers closed after each test. */
export function useHarness(overrides: Partial<Config> = {}) {
  const h = harness(overrides);
  beforeAll(() => h.boot());
  afterAll(() => h.stop());
  afterEach(() => h.cleanup());
  return h;
}
