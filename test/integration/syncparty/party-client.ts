// A watch-party client for integration tests: real WebSocket, envelopes in and out.
import { afterAll, afterEach, beforeAll } from "bun:test";
import type { Config } from "../../../src/config.ts";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

export const PATH = "/OpenSyncParty/ws";

export class PartyClient {
  /** The resume_token of the seat from the last room_state create()/join() got. */
  resumeToken: string | null = null;
  private constructor(readonly ws: TestClient, public client: string) {}

  static async open(url: string, client: string): Promise<PartyClient> {
    return new PartyClient(await TestClient.open(url), client);
  }

  send(type: string, room: string | null, payload: object = {}, client: string | null = this.client): void {
    this.ws.send({ type, room, client, payload, ts: Date.now() });
  }

  /** The next message, parsed. */
  next(timeoutMs?: number): Promise<any> {
    return this.ws.nextJson(timeoutMs);
  }

  /** The next message, which must be of this type (else the test fails with what came instead). */
  async expect(type: string, timeoutMs?: number): Promise<any> {
    const m = await this.next(timeoutMs);
    if (m.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(m)}`);
    return m;
  }

  /** The next message must be an error with this code. */
  async expectError(code: string): Promise<any> {
    const m = await this.expect("error");
    if (m.payload.code !== code) throw new Error(`expected error ${code}, got ${JSON.stringify(m)}`);
    return m;
  }

  async create(room: string | null, payload: object = {}): Promise<any> {
    this.send("create_room", room, { media_url: "https://example.test/movie.mp4", start_pos: 0, name: this.client, options: {}, ...payload });
    return this.seated(await this.expect("room_state"));
  }

  async join(room: string, payload: object = {}): Promise<any> {
    this.send("join_room", room, { name: this.client, ...payload });
    return this.seated(await this.expect("room_state"));
  }

  private seated(rs: any): any {
    this.resumeToken = rs.payload.resume_token;
    return rs;
  }

  /** Skip messages until one of this type arrives. */
  async until(type: string, timeoutMs = 3000): Promise<any> {
    return JSON.parse(await this.ws.until((t) => JSON.parse(t).type === type, timeoutMs));
  }

  quiet(ms?: number): Promise<boolean> {
    return this.ws.quiet(ms);
  }

  close(): void {
    this.ws.close();
  }
}

let roomSeq = 0;
/** A room id not used before in this test process. */
export const freshRoomId = (prefix = "room") => `${prefix}-${++roomSeq}`;

/**
 * One real server for a describe block (booted before, stopped after); sockets a test opens
 * through party() are closed after that test.
 */
export function useParty(overrides: Partial<Config> = {}) {
  let server: TestServer | null = null;
  const open: PartyClient[] = [];
  beforeAll(async () => {
    server = await bootServer(overrides);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(() => server?.stop());
  const party = async (client: string) => {
    const c = await PartyClient.open(server!.ws(PATH), client);
    open.push(c);
    return c;
  };
  return {
    get server(): TestServer {
      return server!;
    },
    party,
    /** A fresh room hosted by "h" with these guests seated in order; every inbox drained. */
    async room<const G extends readonly string[]>(guests: G, createPayload: object = {}): Promise<{ id: string; h: PartyClient; gs: { [K in keyof G]: PartyClient } }> {
      const id = freshRoomId();
      const h = await party("h");
      await h.create(id, createPayload);
      const gs: PartyClient[] = [];
      for (const g of guests) {
        const c = await party(g);
        await c.join(id);
        gs.push(c);
      }
      for (const c of [h, ...gs]) while (!(await c.quiet(60))) c.ws.inbox.length = 0;
      return { id, h, gs: gs as { [K in keyof G]: PartyClient } };
    },
  };
}
