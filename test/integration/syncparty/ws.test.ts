// Integration: the real server on port 0, real WebSocket clients, no JWT secret.
import { describe, expect, test } from "bun:test";
import { freshRoomId as roomId, PATH, useParty } from "./party-client.ts";

const srv = useParty({ roomGraceMs: 300 });
const party = srv.party;
const metric = async (name: string) => {
  const text = await (await fetch(srv.server.http + "/metrics")).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
};

describe("watch party over WebSocket", () => {
  test("create_room → room_state with the exact shape; ping → pong", async () => {
    const h = await party("host-1");
    const before = Date.now();
    h.send("create_room", "movie-night", { media_url: "m.mp4", start_pos: 12.5, name: "Hana", options: { free_play: false } });
    const m = await h.expect("room_state");
    expect(Object.keys(m).sort()).toEqual(["client", "payload", "room", "server_ts", "ts", "type"]);
    expect(m).toMatchObject({ room: "movie-night", client: "host-1" });
    expect(m.server_ts).toBeGreaterThanOrEqual(before);
    expect(m.payload).toEqual({
      room: "movie-night",
      host_id: "host-1",
      media_url: "m.mp4",
      options: { free_play: false },
      state: { position: 12.5, play_state: "paused" },
      participants: [{ client_id: "host-1", name: "Hana", is_host: true }],
      participant_count: 1,
      resume_token: expect.stringMatching(/^[0-9a-f]{32}$/), // 128 random bits
    });
    h.send("ping", "movie-night", { client_ts: 1234.5 });
    const p = await h.expect("pong");
    expect(p.payload).toEqual({ client_ts: 1234.5 });
    expect(typeof p.server_ts).toBe("number");
  });

  test("create_room without a room id gets a server-made one; an existing id is room_exists", async () => {
    const a = await party("a");
    a.send("create_room", null, { media_url: "x", start_pos: 0, name: "A", options: {} });
    const m = await a.expect("room_state");
    expect(typeof m.room).toBe("string");
    expect(m.payload.room).toBe(m.room);
    const b = await party("b");
    b.send("create_room", m.room, { media_url: "y", start_pos: 0, name: "B", options: {} });
    await b.expectError("room_exists");
  });

  test("join: room_missing; joiner gets room_state, the others client_joined then participants_update", async () => {
    const room = roomId();
    const h = await party("h");
    await h.create(room);
    const g = await party("g");
    g.send("join_room", "no-such-room", { name: "G" });
    await g.expectError("room_missing");
    const rs = await g.join(room, { name: "Gus" });
    expect(rs.payload.participant_count).toBe(2);
    const joined = await h.expect("client_joined");
    expect(joined).toMatchObject({ room, client: "g", payload: { name: "Gus" } });
    const upd = await h.expect("participants_update");
    expect(upd.payload).toEqual({
      participants: [
        { client_id: "h", name: "h", is_host: true },
        { client_id: "g", name: "Gus", is_host: false },
      ],
      participant_count: 2,
    });
    expect(await g.quiet(100)).toBe(true);
  });

  test("host control is relayed to the others with the sender's envelope; guests get not_host", async () => {
    const { id: room, h, gs: [g] } = await srv.room(["g"]);
    h.ws.send({ type: "player_event", room, client: "h", payload: { action: "play", position: 3 }, ts: 111 });
    const ev = await g.expect("player_event");
    expect(ev).toMatchObject({ room, client: "h", payload: { action: "play", position: 3 }, ts: 111 });
    expect(typeof ev.server_ts).toBe("number");
    g.send("state_update", room, { position: 9, play_state: "paused" });
    await g.expectError("not_host");
    g.send("player_event", room, { action: "pause", position: 9 });
    await g.expectError("not_host");
    h.send("state_update", room, { position: 20, play_state: "paused" });
    expect((await g.expect("state_update")).payload).toEqual({ position: 20, play_state: "paused" });
    expect(await h.quiet(100)).toBe(true); // never echoed to the sender
  });

  test("free_play lets anyone control", async () => {
    const { id: room, h, gs: [g] } = await srv.room(["g"], { options: { free_play: true } });
    g.send("player_event", room, { action: "seek", position: 42 });
    const ev = await h.until("player_event");
    expect(ev).toMatchObject({ client: "g", payload: { action: "seek", position: 42 } });
  });

  test("a late joiner sees the extrapolated position", async () => {
    const room = roomId();
    const h = await party("h");
    await h.create(room);
    const t0 = performance.now();
    h.send("player_event", room, { action: "play", position: 100 });
    await Bun.sleep(400);
    const g = await party("late");
    const rs = await g.join(room);
    const elapsed = (performance.now() - t0) / 1000;
    expect(rs.payload.state.play_state).toBe("playing");
    expect(rs.payload.state.position).toBeGreaterThanOrEqual(100.3);
    expect(rs.payload.state.position).toBeLessThanOrEqual(100 + elapsed + 0.05);
  });

  test("host leaves mid-playback: the oldest participant becomes host and playback goes on", async () => {
    const { id: room, h, gs: [a, b] } = await srv.room(["a", "b"]);
    h.send("player_event", room, { action: "play", position: 50 });
    await a.expect("player_event");
    await b.expect("player_event");
    h.close();
    for (const c of [a, b]) {
      expect(await c.expect("client_left")).toMatchObject({ client: "h", payload: {} });
      const upd = await c.expect("participants_update");
      expect(upd.payload.participants).toEqual([
        { client_id: "a", name: "a", is_host: true },
        { client_id: "b", name: "b", is_host: false },
      ]);
      expect((await c.expect("host_change")).payload).toEqual({ host_id: "a" });
    }
    a.send("player_event", room, { action: "pause", position: 51 });
    expect((await b.expect("player_event")).payload).toEqual({ action: "pause", position: 51 });
    b.send("player_event", room, { action: "play", position: 0 });
    await b.expectError("not_host");
  });

  test("leave_room: the others are told, the socket can join elsewhere", async () => {
    const { id: room, h, gs: [g] } = await srv.room(["g"]);
    g.send("leave_room", room);
    expect(await h.expect("client_left")).toMatchObject({ client: "g" });
    expect((await h.expect("participants_update")).payload.participant_count).toBe(1);
    const other = roomId();
    await g.create(other);
  });

  test("replace-on-rejoin with the seat's resume_token: the old socket is closed with 4001, the seat and host role stay", async () => {
    const { id: room, h, gs: [g] } = await srv.room(["g"]);
    const h2 = await party("h");
    const rs = await h2.join(room, { resume_token: h.resumeToken });
    expect((await h.ws.waitClose()).code).toBe(4001);
    expect(rs.payload.host_id).toBe("h");
    expect(rs.payload.resume_token).toBe(h.resumeToken);
    expect(rs.payload.participants.map((p: any) => p.client_id)).toEqual(["h", "g"]);
    h2.send("player_event", room, { action: "play", position: 5 });
    expect(await g.expect("player_event")).toMatchObject({ client: "h" });
    expect(await g.quiet(150)).toBe(true); // no client_left for the replaced socket
  });

  test("a bound socket cannot speak for another participant", async () => {
    const { id: room, gs: [g] } = await srv.room(["g"]);
    g.send("player_event", room, { action: "pause", position: 0 }, "h");
    expect(await g.expectError("bad_request")).toMatchObject({ client: "g" });
    g.send("join_room", room, {}, "h");
    await g.expectError("bad_request");
  });

  test("grace period: the host gets the room back in time; later the room is gone", async () => {
    const room = roomId();
    const h = await party("h");
    await h.create(room, { media_url: "kept.mp4" });
    h.send("player_event", room, { action: "seek", position: 33 });
    h.close();
    await h.ws.waitClose();
    await Bun.sleep(50);
    const back = await party("h");
    back.send("create_room", room, { media_url: "ignored.mp4" });
    await back.expectError("forbidden"); // the room is held for its host's seat
    const rs = await back.create(room, { media_url: "ignored.mp4", resume_token: h.resumeToken });
    expect(rs.payload).toMatchObject({ host_id: "h", media_url: "kept.mp4", state: { position: 33, play_state: "paused" } });
    back.close();
    await back.ws.waitClose();
    await Bun.sleep(700);
    const late = await party("h");
    late.send("join_room", room, { name: "H" });
    await late.expectError("room_missing");
  });

  test("gauges count rooms and participants", async () => {
    await srv.room(["g"]);
    expect(await metric("switchboard_syncparty_participants")).toBeGreaterThanOrEqual(2);
    expect(await metric("switchboard_syncparty_rooms")).toBeGreaterThanOrEqual(1);
  });

  test("raw frames 007, \"x\", 3 are bad_json and the connection stays open", async () => {
    const c = await party("raw");
    for (const f of ["007", '"x"', "3"]) {
      c.ws.send(f);
      const e = await c.expectError("bad_json");
      expect(Object.keys(e.payload).sort()).toEqual(["code", "message"]);
    }
    c.send("nonsense", null);
    await c.expectError("unknown_type");
    c.ws.send('{"type":"ping","payload":{"client_ts":"soon"}}');
    await c.expectError("bad_request");
    c.ws.send(new TextEncoder().encode('{"type":"ping","payload":{"client_ts":5}}'));
    expect((await c.expect("pong")).payload.client_ts).toBe(5);
    const text = await (await fetch(srv.server.http + "/metrics")).text();
    expect(Number(/^switchboard_errors_total\{protocol="syncparty"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(5);
  });

  test("a plain HTTP request gets 426", async () => {
    expect((await fetch(srv.server.http + PATH)).status).toBe(426);
  });
});
