// The watch party's rooms (docs/syncparty.md#messages, #room-state, #identity-and-seats), no JWT
// secret: envelope, room_state, join order, room_full, binding, replace-on-rejoin, ping (control
// and relay: control.test.ts; leaving and host migration: leave.test.ts). Black-box: the real
// server on port 0 and real WebSocket clients.
import { describe, expect, test } from "bun:test";
import { ENVELOPE_KEYS, roomName, useHarness } from "../../helpers/clients/syncparty.ts";

const H = useHarness({ roomMaxParticipants: 3 });

describe("envelope and room_state", () => {
  test("create_room answers room_state with the exact payload shape and the full envelope", async () => {
    const a = await H.peer("alice");
    const id = roomName();
    const before = Date.now();
    a.raw({ type: "create_room", room: id, client: "alice", ts: 1700000000000, payload: { media_url: "https://x.test/ü.mp4", start_pos: 42.25, name: "Älice 🎬", options: { free_play: false } } });
    const m = await a.expect("room_state");
    expect(Object.keys(m).sort()).toEqual(ENVELOPE_KEYS);
    expect(m.room).toBe(id);
    expect(m.client).toBe("alice");
    expect(m.server_ts).toBeGreaterThanOrEqual(before);
    expect(m.server_ts).toBeLessThanOrEqual(Date.now());
    expect(m.payload).toEqual({
      room: id,
      host_id: "alice",
      media_url: "https://x.test/ü.mp4",
      options: { free_play: false },
      state: { position: 42.25, play_state: "paused" },
      participants: [{ client_id: "alice", name: "Älice 🎬", is_host: true }],
      participant_count: 1,
      resume_token: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(await a.quiet()).toBe(true); // nothing else after create
  });

  test("create_room without room: the server makes an id and returns it; it is joinable", async () => {
    const a = await H.peer("a");
    a.raw({ type: "create_room", client: "a", payload: { media_url: "m", start_pos: 0, name: "A", options: {} }, ts: 1 });
    const m = await a.expect("room_state");
    expect(typeof m.room).toBe("string");
    expect(m.room!.length).toBeGreaterThan(0);
    expect(m.payload.room).toBe(m.room);
    const b = await H.peer("b");
    const s = await b.join(m.room!);
    expect(s.payload.participant_count).toBe(2);
  });

  test("create_room on an existing room → room_exists, the room is untouched, the socket stays usable", async () => {
    const { id, h } = await H.room([]);
    const x = await H.peer("x");
    x.send("create_room", id, { media_url: "other", start_pos: 5, name: "X", options: {} });
    const e = await x.expectError("room_exists");
    expect(e.room).toBe(id);
    expect(await h.quiet()).toBe(true);
    const s = await x.join(id);
    expect(s.payload.media_url).toBe("https://example.test/film.mp4");
    expect(s.payload.host_id).toBe("h");
  });

  test("two sockets racing to create the same room: exactly one room_state, one room_exists", async () => {
    const id = roomName();
    const [a, b] = [await H.peer("a"), await H.peer("b")];
    a.send("create_room", id, { name: "A" });
    b.send("create_room", id, { name: "B" });
    const types = [(await a.next()).type, (await b.next()).type].sort();
    expect(types).toEqual(["error", "room_state"]);
  });

  test("room_state position is extrapolated while playing and exact while paused", async () => {
    const { id, h } = await H.room([], { start_pos: 10 });
    const t0 = performance.now();
    h.send("player_event", id, { action: "play", position: 100 });
    await Bun.sleep(600); // playback time must pass: the extrapolation is what is checked
    const late = await H.peer("late");
    const s = await late.join(id);
    const elapsed = (performance.now() - t0) / 1000;
    expect(s.payload.state.play_state).toBe("playing");
    expect(s.payload.state.position).toBeGreaterThanOrEqual(100.55);
    expect(s.payload.state.position).toBeLessThanOrEqual(100 + elapsed + 0.05); // never ahead of the time that passed
    expect(s.payload.state.position).toBeLessThan(103);
    h.send("player_event", id, { action: "pause", position: 200.5 });
    await late.expect("player_event");
    await Bun.sleep(300); // time passes while paused: the position must not move
    const later = await H.peer("later");
    expect((await later.join(id)).payload.state).toEqual({ position: 200.5, play_state: "paused" });
  });

  test("huge positions stay numbers in room_state, playing or paused", async () => {
    for (const play_state of ["playing", "paused"]) {
      const { id, h } = await H.room([]);
      h.send("state_update", id, { position: 1.7e308, play_state });
      const v = await H.peer("v");
      const s = await v.join(id);
      expect(s.payload.state).toEqual({ position: 1.7e308, play_state });
      h.close();
      v.close();
    }
  });

  test("state_update sets both fields; seek keeps the play state", async () => {
    const { id, h, gs } = await H.room(["g"]);
    h.send("state_update", id, { position: 7, play_state: "playing" });
    await gs[0]!.expect("state_update");
    h.send("player_event", id, { action: "seek", position: 50 });
    await gs[0]!.expect("player_event");
    const v = await H.peer("v");
    const s = await v.join(id);
    expect(s.payload.state.play_state).toBe("playing");
    expect(s.payload.state.position).toBeGreaterThanOrEqual(50);
    expect(s.payload.state.position).toBeLessThan(52);
  });
});

describe("join_room", () => {
  test("joiner gets room_state; each other participant gets client_joined {name} then participants_update", async () => {
    const { id, h, gs } = await H.room(["g1"]);
    const j = await H.peer("joiner");
    j.raw({ type: "join_room", room: id, client: "joiner", payload: { name: "Jo 🙂" }, ts: 123 });
    const s = await j.expect("room_state");
    expect(s.client).toBe("joiner");
    expect(s.payload.participants).toEqual([
      { client_id: "h", name: "h", is_host: true },
      { client_id: "g1", name: "g1", is_host: false },
      { client_id: "joiner", name: "Jo 🙂", is_host: false },
    ]);
    expect(s.payload.participant_count).toBe(3);
    for (const p of [h, gs[0]!]) {
      const cj = await p.expect("client_joined");
      expect(cj.payload).toEqual({ name: "Jo 🙂" });
      expect(cj.room).toBe(id);
      expect(cj.client).toBe("joiner");
      const pu = await p.expect("participants_update");
      expect(pu.room).toBe(id);
      expect(pu.payload).toEqual({ participants: s.payload.participants, participant_count: 3 });
    }
    expect(await j.quiet()).toBe(true); // the joiner gets neither of the broadcasts
  });

  test("join_room to a missing room → room_missing; without room → bad_request", async () => {
    const j = await H.peer("j");
    j.send("join_room", "no-such-room-" + roomName(), { name: "J" });
    expect((await j.expectError("room_missing")).client).toBe("j");
    j.raw({ type: "join_room", client: "j", payload: { name: "J" } });
    await j.expectError("bad_request");
  });

  test("room_full at the configured limit (3); the others see nothing", async () => {
    const { id, h, gs } = await H.room(["g1", "g2"]);
    const x = await H.peer("x");
    x.send("join_room", id, { name: "X" });
    await x.expectError("room_full");
    expect(await h.quiet()).toBe(true);
    expect(await gs[0]!.quiet(10)).toBe(true);
    // a freed seat can be taken
    gs[1]!.close();
    await h.expect("client_left");
    await x.join(id);
  });
});

describe("client id binding, spoofing, replace-on-rejoin", () => {
  test("after binding, another client id → bad_request and nothing is relayed; same id or none is fine", async () => {
    const { id, h, gs } = await H.room(["g"], { options: { free_play: true } });
    const g = gs[0]!;
    g.raw({ type: "player_event", room: id, client: "h", payload: { action: "play", position: 1 }, ts: 1 });
    const e = await g.expectError("bad_request");
    expect(e.client).toBe("g");
    expect(await h.quiet()).toBe(true);
    g.raw({ type: "ping", client: "someone-else", payload: { client_ts: 1 } });
    await g.expectError("bad_request");
    g.raw({ type: "player_event", room: id, payload: { action: "play", position: 2 }, ts: 5 });
    const r = await h.expect("player_event");
    expect(r.client).toBe("g"); // the bound id, never a claimed one
    expect(r.ts).toBe(5);
    g.send("join_room", id, {}, { client: "h" }); // nor may it enter under a claimed id
    await g.expectError("bad_request");
  });

  test("a refused create/join binds nothing", async () => {
    const x = await H.peer("x");
    x.raw({ type: "join_room", room: "missing-" + roomName(), client: "first", payload: {} });
    await x.expectError("room_missing");
    const id = roomName();
    x.raw({ type: "create_room", room: id, client: "second", payload: {} });
    const s = await x.expect("room_state");
    expect(s.payload.host_id).toBe("second");
  });

  test("rejoin with a seated id and its resume_token: old socket closed 4001, seat, join order and host role kept, others not told", async () => {
    const { id, h, gs } = await H.room(["g1", "g2"]);
    const h2 = await H.peer("h");
    const s = await h2.join(id, { resume_token: h.resumeToken });
    expect((await h.ws.waitClose()).code).toBe(4001);
    expect(s.payload.host_id).toBe("h");
    expect(s.payload.participant_count).toBe(3);
    expect(s.payload.participants.map((p: any) => p.client_id)).toEqual(["h", "g1", "g2"]);
    expect(await gs[0]!.quiet()).toBe(true);
    expect(await gs[1]!.quiet(10)).toBe(true);
    // the new socket is the host now
    h2.send("player_event", id, { action: "play", position: 3 });
    expect((await gs[0]!.expect("player_event")).client).toBe("h");
    await gs[1]!.expect("player_event");
    // a guest reloading keeps its place too, even though the room is full
    const g1b = await H.peer("g1");
    const s2 = await g1b.join(id, { resume_token: gs[0]!.resumeToken });
    expect(s2.payload.participants.map((p: any) => p.client_id)).toEqual(["h", "g1", "g2"]);
    expect((await gs[0]!.ws.waitClose()).code).toBe(4001);
    expect(await h2.quiet()).toBe(true);
  });
});

describe("ping", () => {
  test("ping {client_ts} → pong {client_ts} with server_ts, before and after joining", async () => {
    const p = await H.peer("p");
    const t0 = Date.now();
    p.raw({ type: "ping", client: "p", payload: { client_ts: 1678900000000.5 }, ts: 99 });
    const m = await p.expect("pong");
    expect(m.payload).toEqual({ client_ts: 1678900000000.5 });
    expect(m.server_ts).toBeGreaterThanOrEqual(t0);
    const id = roomName();
    await p.create(id);
    p.send("ping", id, { client_ts: 5 });
    const m2 = await p.expect("pong");
    expect(m2).toMatchObject({ room: id, client: "p", payload: { client_ts: 5 } });
  });
});
