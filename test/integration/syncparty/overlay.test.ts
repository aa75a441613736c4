// The OpenSyncParty web overlay against the real server: its host pings every few seconds and,
// after each pong, sends state_update {"reported_latency": <rtt ms>} alone. That is accepted
// (never an error while the fields it has are well-typed), relayed as sent, and changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bootServer, type TestServer } from "../../helpers/server.ts";
import { TestClient } from "../../helpers/ws-client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await bootServer();
});
afterAll(() => server.stop());

/** A client that frames messages as the overlay does: {type, room, client, payload, ts}. */
class Overlay {
  private constructor(readonly ws: TestClient, readonly room: string, readonly client: string) {}
  static async open(room: string): Promise<Overlay> {
    return new Overlay(await TestClient.open(server.ws("/OpenSyncParty/ws")), room, crypto.randomUUID());
  }
  send(type: string, payload: object = {}): void {
    this.ws.send(JSON.stringify({ type, room: this.room, client: this.client, payload, ts: Date.now() }));
  }
  async expect(type: string): Promise<any> {
    const m = JSON.parse(await this.ws.next());
    if (m.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(m)}`);
    return m;
  }
  /** One round of the overlay's ping loop: ping, pong, then (as host) the latency report. */
  async pingRound(): Promise<number> {
    const clientTs = Date.now();
    this.send("ping", { client_ts: clientTs });
    const pong = await this.expect("pong");
    expect(pong.payload.client_ts).toBe(clientTs);
    const latency = Math.max(0, Math.round(Date.now() - pong.payload.client_ts));
    this.send("state_update", { reported_latency: latency });
    return latency;
  }
  close(): void {
    this.ws.close();
  }
}

describe("OpenSyncParty overlay: state_update with reported_latency", () => {
  test("accepted after every pong, relayed as sent, the room state untouched", async () => {
    const room = `overlay-${crypto.randomUUID()}`;
    const host = await Overlay.open(room);
    host.send("create_room", { media_url: "https://example.test/film.mp4", start_pos: 42.5, name: "Host", options: { free_play: false } });
    expect((await host.expect("room_state")).payload.state).toEqual({ position: 42.5, play_state: "paused" });
    const guest = await Overlay.open(room);
    guest.send("join_room", { name: "Guest" });
    await guest.expect("room_state");
    await host.expect("client_joined");
    await host.expect("participants_update");

    for (let i = 0; i < 3; i++) {
      const latency = await host.pingRound();
      const relayed = await guest.expect("state_update");
      expect(relayed.payload).toEqual({ reported_latency: latency });
      expect(relayed.client).toBe(host.client);
      expect(relayed.room).toBe(room);
    }
    // No error reached the host: the next thing it hears is the answer to this ping.
    host.send("ping", { client_ts: 1 });
    expect((await host.expect("pong")).payload).toEqual({ client_ts: 1 });

    const late = await Overlay.open(room);
    late.send("join_room", { name: "Late" });
    expect((await late.expect("room_state")).payload.state).toEqual({ position: 42.5, play_state: "paused" });
    for (const c of [host, guest, late]) c.close();
  });

  test("an ill-typed field it has is bad_request; a guest's report is not_host", async () => {
    const room = `overlay-${crypto.randomUUID()}`;
    const host = await Overlay.open(room);
    host.send("create_room", { media_url: "m.mp4", start_pos: 0, name: "Host", options: { free_play: false } });
    await host.expect("room_state");
    host.send("state_update", { reported_latency: 2, play_state: "buffering" });
    expect((await host.expect("error")).payload.code).toBe("bad_request");
    host.send("state_update", { position: "12" });
    expect((await host.expect("error")).payload.code).toBe("bad_request");

    const guest = await Overlay.open(room);
    guest.send("join_room", { name: "Guest" });
    await guest.expect("room_state");
    guest.send("state_update", { reported_latency: 3 });
    expect((await guest.expect("error")).payload.code).toBe("not_host");
    for (const c of [host, guest]) c.close();
  });
});
