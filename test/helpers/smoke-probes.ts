// One round trip per WebSocket endpoint, run against the compiled binary by test/system/smoke.test.ts.
// Each protocol adds its probe here.
import type { TestClient } from "./ws-client.ts";

export interface SmokeProbe {
  path: string;
  run(c: TestClient, port: number): Promise<void>;
}

export const smokeProbes: SmokeProbe[] = [
  {
    // Clicker (docs/clicker.md#commands): REGISTER, then a SCORE that must be written to the database.
    path: "/ws",
    async run(c) {
      c.send("REGISTER");
      const reg = await c.next();
      if (!/^REGISTERED \d{6} [0-9a-f]{32}$/.test(reg)) throw new Error(`clicker: unexpected REGISTER reply ${JSON.stringify(reg)}`);
      c.send("SCORE 1 1");
      const scored = await c.next();
      if (scored !== "SCORED 1") throw new Error(`clicker: unexpected SCORE reply ${JSON.stringify(scored)}`);
    },
  },
  {
    // Watch party (docs/syncparty.md#messages): create_room → room_state for the same room; ping → pong.
    path: "/OpenSyncParty/ws",
    async run(c) {
      c.send({ type: "create_room", room: "smoke-room", client: "smoke", payload: { media_url: "m", start_pos: 0, name: "S", options: {} }, ts: Date.now() });
      const rs = await c.nextJson();
      if (rs.type !== "room_state" || rs.room !== "smoke-room" || rs.payload.room !== "smoke-room") throw new Error("bad room_state: " + JSON.stringify(rs));
      c.send({ type: "ping", room: "smoke-room", client: "smoke", payload: { client_ts: 42 }, ts: Date.now() });
      const pong = await c.nextJson();
      if (pong.type !== "pong" || pong.payload.client_ts !== 42 || typeof pong.server_ts !== "number") throw new Error("bad pong: " + JSON.stringify(pong));
    },
  },
  {
    // Buzzer mediator (docs/buzzer.md#listing-pools): list pools → the pools reply with an array.
    path: "/mediator",
    async run(c) {
      c.send({ list: "pools" });
      const r = await c.nextJson();
      if (r.response !== "pools" || !Array.isArray(r.pools)) throw new Error("buzzer: unexpected list pools reply " + JSON.stringify(r));
      // The game (docs/buzzer.md#the-game) and a phone joining it, as /quiz and /buzz do.
      c.send({ list: "round" });
      const round = await c.nextJson();
      if (round.response !== "round" || round.round !== 0 || round.armed !== false) throw new Error("buzzer: unexpected list round reply " + JSON.stringify(round));
      c.send({ command: "phone_join", name: "Smoke" });
      const joined = await c.nextJson();
      if (joined.result !== "phone_join" || joined.pool !== "phones" || joined.buzzer !== 1) throw new Error("buzzer: unexpected phone_join reply " + JSON.stringify(joined));
    },
  },
  {
    // Metronome (docs/metronome.md#opening-a-connection): the open frame, then get_id → a client id.
    path: "/connect",
    async run(c) {
      const open = await c.next();
      if (open !== '{"jsonrpc":"2.0","id":null,"result":{"status":"success"}}') throw new Error(`metronome open frame: ${open}`);
      c.send({ jsonrpc: "2.0", method: "get_id", params: { time_utc: Date.now() }, id: 1 });
      const r = await c.nextJson();
      if (r.id !== 1 || r.result?.status !== "success" || !Number.isInteger(r.result.client_id) || r.result.client_id < 1)
        throw new Error(`metronome get_id: ${JSON.stringify(r)}`);
    },
  },
  {
    // Socket.IO relay (docs/socketio.md#handshake-and-heartbeat): raw Engine.IO open packet, then
    // a Socket.IO CONNECT to "/".
    path: "/socket.io/?EIO=4&transport=websocket",
    async run(c) {
      const open = await c.next();
      if (!open.startsWith('0{"sid"')) throw new Error(`socket.io: expected the Engine.IO open packet, got ${open}`);
      c.send("40");
      const connected = await c.next();
      if (!connected.startsWith('40{"sid"')) throw new Error(`socket.io: expected a Socket.IO CONNECT reply, got ${connected}`);
    },
  },
];
