// Leaving a watch party (docs/syncparty.md#leaving, #host-migration, #grace-period,
// #one-room-per-socket), no JWT secret: close and leave_room, host migration, the grace period,
// switching rooms on one socket. Black-box: the real server on port 0 and real WebSocket clients.
import { describe, expect, test } from "bun:test";
import { type Peer, roomName, useHarness } from "../../helpers/clients/syncparty.ts";

const GRACE_MS = 400;
const H = useHarness({ roomGraceMs: GRACE_MS });

describe("leaving, host migration, grace period", () => {
  test("guest closes: others get client_left {} (client = leaver) then participants_update; no host_change", async () => {
    const { id, h, gs } = await H.room(["g1", "g2"]);
    gs[0]!.close();
    for (const p of [h, gs[1]!]) {
      const l = await p.expect("client_left");
      expect(l).toMatchObject({ room: id, client: "g1", payload: {} });
      const u = await p.expect("participants_update");
      expect(u.payload.participant_count).toBe(2);
      expect(u.payload.participants.map((x: any) => x.client_id)).toEqual(["h", "g2"]);
    }
    expect(await h.quiet()).toBe(true);
  });

  test("host leaves: oldest remaining becomes host, everyone left gets host_change {host_id}", async () => {
    const { id, h, gs } = await H.room(["g1", "g2"]);
    h.send("leave_room", "some-other-room");
    await h.expectError("bad_request"); // naming another room leaves nothing
    expect(await gs[0]!.quiet()).toBe(true);
    h.send("leave_room", id);
    for (const p of gs) {
      expect((await p.expect("client_left")).client).toBe("h");
      const u = await p.expect("participants_update");
      expect(u.payload.participants).toEqual([
        { client_id: "g1", name: "g1", is_host: true },
        { client_id: "g2", name: "g2", is_host: false },
      ]);
      const c = await p.expect("host_change");
      expect(c.payload).toEqual({ host_id: "g1" });
      expect(c.room).toBe(id);
    }
    expect(await h.quiet()).toBe(true); // the leaver hears nothing
    gs[0]!.send("player_event", id, { action: "play", position: 1 });
    await gs[1]!.expect("player_event");
    gs[1]!.send("player_event", id, { action: "play", position: 1 });
    await gs[1]!.expectError("not_host");
    // the socket that left can still ping and join again (as a guest, at the end)
    const s = await h.join(id);
    expect(s.payload.host_id).toBe("g1");
    expect(s.payload.participants.at(-1)).toEqual({ client_id: "h", name: "h", is_host: false });
  });

  test("host leaves mid-playback: the oldest participant becomes host and playback goes on", async () => {
    const { id: room, h, gs } = await H.room(["a", "b"]);
    const [a, b] = gs as [Peer, Peer];
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

  test("empty room: kept for the grace period (host comes back as host), then room_missing", async () => {
    const { id, h } = await H.room([], { media_url: "keep.mp4" });
    h.close();
    await h.ws.waitClose(); // the server has seen it go (its close handler runs before the close reply)
    const back = await H.peer("h");
    const s = await back.join(id, { resume_token: h.resumeToken });
    expect(s.payload).toMatchObject({ host_id: "h", media_url: "keep.mp4" });
    back.close();
    await back.ws.waitClose();
    await Bun.sleep(GRACE_MS + 300); // the grace timer must run out: its end is what is checked
    const late = await H.peer("late");
    late.send("join_room", id, {});
    await late.expectError("room_missing");
    // and the id is free again
    await late.create(id);
  });

  test("the host may re-create its room during the grace period; anyone else gets room_exists", async () => {
    const { id, h } = await H.room([], { start_pos: 33 });
    h.close();
    await h.ws.waitClose();
    const other = await H.peer("other");
    other.send("create_room", id, {});
    await other.expectError("room_exists");
    const back = await H.peer("h");
    const s = await back.create(id, { start_pos: 0, resume_token: h.resumeToken });
    expect(s.payload.state.position).toBe(33);
  });
});

describe("switching rooms on one socket (the original clients know no leave_room)", () => {
  test("join_room elsewhere moves the socket; a refused one leaves it seated", async () => {
    const a = await H.room(["g1"]);
    const b = await H.room([]);
    const g = a.gs[0]!;
    g.send("join_room", "missing-" + roomName(), {});
    await g.expectError("room_missing");
    expect(await a.h.quiet()).toBe(true);
    const s = await g.join(b.id);
    expect(s.room).toBe(b.id);
    expect(s.payload.participants.map((p: any) => p.client_id)).toEqual(["h", "g1"]);
    expect((await a.h.expect("client_left")).client).toBe("g1");
    expect((await a.h.expect("participants_update")).payload.participant_count).toBe(1);
    await b.h.expect("client_joined");
    await b.h.expect("participants_update");
    // it now hears room b only
    b.h.send("player_event", b.id, { action: "play", position: 1 });
    await g.expect("player_event");
    a.h.send("player_event", a.id, { action: "play", position: 1 });
    expect(await g.quiet()).toBe(true);
  });
});
