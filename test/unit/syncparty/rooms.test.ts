import { beforeEach, describe, expect, test } from "bun:test";
import { PartyRooms, type CreateArgs } from "../../../src/protocols/syncparty/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

let clock: FakeClock;
let hub: FakeHub;
let rooms: PartyRooms;
let n = 0;
let t = 0;
const make = (over: Partial<{ graceMs: number; maxParticipants: number; maxRooms: number; roomsPerConn: number }> = {}) => {
  clock = new FakeClock();
  hub = new FakeHub();
  rooms = new PartyRooms({ clock, topics: hub, graceMs: 30000, maxParticipants: 100, maxRooms: 1000, roomsPerConn: 1000, newRoomId: () => `gen${++n}`, newResumeToken: () => `tok${++t}`, ...over });
};
const conn = () => new FakeConn(hub);
const args = (over: Partial<CreateArgs> = {}): CreateArgs => ({ room: "r1", clientId: "host", name: "Hana", mediaUrl: "m.mp4", startPos: 10, options: { free_play: false, private: false }, resumeToken: null, ...over });
const types = (c: FakeConn) => c.takeJson().map((m) => m.type);
/** Room r1 hosted by "host", with guest "g" seated; both inboxes drained; their resume tokens. */
const hostWithGuest = () => {
  const h = conn();
  const g = conn();
  rooms.create(h, args());
  rooms.join(g, "r1", "g", "G", null);
  const hToken: string = h.takeJson()[0].payload.resume_token;
  const gToken: string = g.takeJson()[0].payload.resume_token;
  return { h, g, hToken, gToken };
};

beforeEach(() => make());

describe("rooms: create and join", () => {
  test("create sends room_state with the exact shape", () => {
    const h = conn();
    expect(rooms.create(h, args())).toBeNull();
    const [m] = h.takeJson();
    expect(m).toEqual({
      type: "room_state",
      room: "r1",
      client: "host",
      ts: clock.now(),
      server_ts: clock.now(),
      payload: {
        room: "r1",
        host_id: "host",
        media_url: "m.mp4",
        options: { free_play: false, private: false },
        state: { position: 10, play_state: "paused" },
        participants: [{ client_id: "host", name: "Hana", is_host: true }],
        participant_count: 1,
        resume_token: "tok" + t,
      },
    });
  });

  test("without a room id the server makes one; an existing id is room_exists", () => {
    const a = conn();
    expect(rooms.create(a, args({ room: null }))).toBeNull();
    expect(a.takeJson()[0].payload.room).toBe("gen" + n);
    const b = conn();
    rooms.create(b, args({ clientId: "x" }));
    expect(rooms.create(conn(), args({ clientId: "y" }))?.code).toBe("room_exists");
  });

  test("join: room_missing; joiner gets room_state, others client_joined then participants_update", () => {
    const h = conn();
    rooms.create(h, args());
    h.takeJson();
    const g = conn();
    expect(rooms.join(g, "nope", "g", "Gus", null)?.code).toBe("room_missing");
    expect(rooms.join(g, "r1", "g", "Gus", null)).toBeNull();
    const [rs] = g.takeJson();
    expect(rs.type).toBe("room_state");
    expect(rs.payload.participants).toEqual([
      { client_id: "host", name: "Hana", is_host: true },
      { client_id: "g", name: "Gus", is_host: false },
    ]);
    const [joined, upd] = h.takeJson();
    expect(joined).toMatchObject({ type: "client_joined", room: "r1", client: "g", payload: { name: "Gus" } });
    expect(upd).toMatchObject({ type: "participants_update", payload: { participant_count: 2 } });
  });

  test("room_full at the limit", () => {
    make({ maxParticipants: 2 });
    rooms.create(conn(), args());
    expect(rooms.join(conn(), "r1", "a", "A", null)).toBeNull();
    expect(rooms.join(conn(), "r1", "b", "B", null)?.code).toBe("room_full");
  });

  test("a socket seated in a room that creates or joins another moves there; the old room is told", () => {
    make({ maxParticipants: 2 });
    const { h, g } = hostWithGuest();
    const z = conn();
    rooms.create(z, args({ room: "r2", clientId: "z" }));
    const full = conn();
    rooms.join(full, "r2", "f", "F", null);
    // a refused join leaves the socket where it was
    expect(rooms.join(g, "r2", "g", "G", null)?.code).toBe("room_full");
    expect(rooms.join(g, "nowhere", "g", "G", null)?.code).toBe("room_missing");
    expect(rooms.create(g, args({ room: "r2", clientId: "g" }))?.code).toBe("room_exists");
    expect(types(h)).toEqual([]);
    expect(rooms.roomOf(g)?.id).toBe("r1");
    // the host moves to a new room of its own: the guest left behind becomes host of r1
    expect(rooms.create(h, args({ room: "r3" }))).toBeNull();
    expect(types(h)).toEqual(["room_state"]);
    expect(types(g)).toEqual(["client_left", "participants_update", "host_change"]);
    expect(rooms.get("r1")!.hostId).toBe("g");
    rooms.leave(full);
    z.takeJson();
    // the guest moves into r2: r1 empties (grace), r2 sees an ordinary join
    expect(rooms.join(g, "r2", "g", "G", null)).toBeNull();
    expect(types(g)).toEqual(["room_state"]);
    expect(types(z)).toEqual(["client_joined", "participants_update"]);
    expect(rooms.get("r1")!.participants.size).toBe(0);
    expect(rooms.join(h, "r3", "host", "Hana", null)).toBeNull(); // its own room again: room_state again
    expect(types(h)).toEqual(["room_state"]);
  });
});

describe("rooms: play state", () => {
  test("position is extrapolated while playing and frozen while paused", () => {
    const h = conn();
    rooms.create(h, args({ startPos: 0 }));
    rooms.control(h, { type: "player_event", payload: { action: "play", position: 5 } }, 1);
    clock.advance(2500);
    const r = rooms.get("r1")!;
    expect(rooms.positionOf(r)).toBe(7.5);
    rooms.control(h, { type: "player_event", payload: { action: "pause", position: 7.6 } }, 2);
    clock.advance(10_000);
    expect(rooms.positionOf(r)).toBe(7.6);
    rooms.control(h, { type: "player_event", payload: { action: "seek", position: 100 } }, 3);
    expect(r.playState).toBe("paused");
    rooms.control(h, { type: "state_update", payload: { position: 50, play_state: "playing" } }, 4);
    clock.advance(1000);
    const g = conn();
    rooms.join(g, "r1", "late", "L", null);
    expect(g.takeJson()[0].payload.state).toEqual({ position: 51, play_state: "playing" });
  });

  test("control is relayed to the others only, with the sender's client, room and ts", () => {
    const { h, g } = hostWithGuest();
    expect(rooms.control(h, { type: "player_event", payload: { action: "play", position: 3 } }, 1234)).toBeNull();
    expect(h.takeJson()).toEqual([]);
    expect(g.takeJson()).toEqual([{ type: "player_event", room: "r1", client: "host", payload: { action: "play", position: 3 }, ts: 1234, server_ts: clock.now() }]);
  });

  test("non-hosts get not_host unless free_play; the state is untouched", () => {
    const { h, g } = hostWithGuest();
    expect(rooms.control(g, { type: "state_update", payload: { position: 99, play_state: "playing" } }, null)?.code).toBe("not_host");
    expect(rooms.get("r1")!.position).toBe(10);
    expect(rooms.control(conn(), { type: "state_update", payload: { position: 1, play_state: "paused" } }, null)?.code).toBe("bad_request");
    const fh = conn();
    const fg = conn();
    rooms.create(fh, args({ room: "free", options: { free_play: true } }));
    rooms.join(fg, "free", "g", "G", null);
    expect(rooms.control(fg, { type: "player_event", payload: { action: "seek", position: 42 } }, null)).toBeNull();
    expect(rooms.get("free")!.position).toBe(42);
    expect(rooms.isHost(fg)).toBe(false);
  });
});

describe("rooms: leaving, host migration, grace", () => {
  test("host leaves mid-playback: oldest remaining becomes host, playback continues", () => {
    const h = conn();
    const a = conn();
    const b = conn();
    rooms.create(h, args({ startPos: 0 }));
    rooms.join(a, "r1", "a", "A", null);
    rooms.join(b, "r1", "b", "B", null);
    rooms.control(h, { type: "player_event", payload: { action: "play", position: 0 } }, null);
    for (const c of [h, a, b]) c.takeJson();
    clock.advance(4000);
    expect(rooms.leave(h)).toBe(true);
    const got = b.takeJson();
    expect(got.map((m) => m.type)).toEqual(["client_left", "participants_update", "host_change"]);
    expect(got[0]).toMatchObject({ client: "host", payload: {} });
    expect(got[1].payload.participants).toEqual([
      { client_id: "a", name: "A", is_host: true },
      { client_id: "b", name: "B", is_host: false },
    ]);
    expect(got[2].payload).toEqual({ host_id: "a" });
    expect(types(a)).toEqual(["client_left", "participants_update", "host_change"]);
    expect(rooms.positionOf(rooms.get("r1")!)).toBe(4);
    expect(rooms.canControl(a)).toBeNull();
    expect(rooms.canControl(b)?.code).toBe("not_host");
    expect(rooms.leave(h)).toBe(false);
  });

  test("a guest leaving sends no host_change", () => {
    const { h, g } = hostWithGuest();
    rooms.leave(g);
    expect(types(h)).toEqual(["client_left", "participants_update"]);
  });

  test("an empty room lives for the grace period, then is removed", () => {
    const h = conn();
    rooms.create(h, args());
    rooms.leave(h);
    expect(rooms.count).toBe(1);
    clock.advance(29_999);
    expect(rooms.get("r1")).toBeDefined();
    clock.advance(1);
    expect(rooms.get("r1")).toBeUndefined();
    expect(rooms.join(conn(), "r1", "host", "H", null)?.code).toBe("room_missing");
  });

  test("the host coming back in the grace period with its resume token gets the room back, by create or by join", () => {
    const h = conn();
    rooms.create(h, args());
    const token = h.takeJson()[0].payload.resume_token;
    rooms.control(h, { type: "player_event", payload: { action: "seek", position: 77 } }, null);
    rooms.leave(h);
    clock.advance(10_000);
    const h2 = conn();
    expect(rooms.create(h2, args({ clientId: "someone-else", resumeToken: token }))?.code).toBe("room_exists");
    expect(rooms.create(h2, args({ mediaUrl: "other.mp4", startPos: 0, resumeToken: token }))).toBeNull();
    const [rs] = h2.takeJson();
    expect(rs.payload).toMatchObject({ host_id: "host", media_url: "m.mp4", state: { position: 77, play_state: "paused" }, resume_token: token });
    clock.advance(60_000); // the grace timer was cancelled
    expect(rooms.get("r1")).toBeDefined();
    expect(clock.pending).toBe(0);
    // the same again by join_room: same seat, same token
    rooms.leave(h2);
    const h3 = conn();
    expect(rooms.join(h3, "r1", "host", "Hana", token)).toBeNull();
    expect(h3.takeJson()[0].payload).toMatchObject({ host_id: "host", resume_token: token });
  });

  test("the host id held in the grace period is bound: without its token, forbidden and the room still waits for it", () => {
    const h = conn();
    rooms.create(h, args());
    const token = h.takeJson()[0].payload.resume_token;
    rooms.leave(h);
    const squatter = conn();
    for (const bad of [null, "", "tok999", token.slice(1), token + "x"]) {
      expect(rooms.join(squatter, "r1", "host", "Mallory", bad)?.code).toBe("forbidden");
      expect(rooms.create(squatter, args({ resumeToken: bad }))?.code).toBe("forbidden");
    }
    expect(squatter.sent).toEqual([]);
    expect(rooms.roomOf(squatter)).toBeUndefined();
    expect(rooms.get("r1")!.participants.size).toBe(0);
    expect(clock.pending).toBe(1); // the grace timer still runs
    expect(rooms.join(conn(), "r1", "host", "Hana", token)).toBeNull();
  });

  test("another client first back in the grace period becomes host; the old host's seat is over", () => {
    const { h, g, hToken } = hostWithGuest();
    rooms.leave(g);
    rooms.leave(h);
    const g2 = conn();
    expect(rooms.join(g2, "r1", "g", "G", null)).toBeNull();
    expect(g2.takeJson()[0].payload.host_id).toBe("g");
    // the old host's id is no longer bound: it joins as a new guest with a new token
    const h2 = conn();
    expect(rooms.join(h2, "r1", "host", "Hana", null)).toBeNull();
    const rs = h2.takeJson()[0];
    expect(rs.payload.host_id).toBe("g");
    expect(rs.payload.resume_token).not.toBe(hToken);
  });

  test("graceMs 0 removes an empty room at once", () => {
    make({ graceMs: 0 });
    const h = conn();
    rooms.create(h, args());
    rooms.leave(h);
    expect(rooms.count).toBe(0);
  });
});

describe("rooms: replace on rejoin", () => {
  test("the same client id on a new socket with the seat's resume token takes over the seat and the host role", () => {
    const { h, g, hToken } = hostWithGuest();
    const h2 = conn();
    expect(rooms.join(h2, "r1", "host", "Hana", hToken)).toBeNull();
    expect(h.closedWith?.code).toBe(4001);
    const [rs] = h2.takeJson();
    expect(rs.payload.host_id).toBe("host");
    expect(rs.payload.resume_token).toBe(hToken); // a seat keeps its token for its whole life
    expect(rs.payload.participants.map((p: any) => p.client_id)).toEqual(["host", "g"]);
    expect(g.takeJson()).toEqual([]); // nothing changed for the others
    expect(rooms.leave(h)).toBe(false); // the old socket's close is a no-op
    expect(rooms.participantCount).toBe(2);
    rooms.control(h2, { type: "player_event", payload: { action: "play", position: 1 } }, null);
    expect(types(g)).toEqual(["player_event"]);
    expect(h.sent.length).toBe(0);
  });

  test("a full room still lets a participant replace its own seat; a rename is announced", () => {
    make({ maxParticipants: 2 });
    const { h, gToken } = hostWithGuest();
    expect(rooms.join(conn(), "r1", "g", "Gustav", gToken)).toBeNull();
    const [upd] = h.takeJson();
    expect(upd.type).toBe("participants_update");
    expect(upd.payload.participants[1]).toEqual({ client_id: "g", name: "Gustav", is_host: false });
  });
});

describe("rooms: seats and resume tokens", () => {
  test("each seat gets its own token, only in its own room_state, never in a broadcast", () => {
    const { h, g, hToken, gToken } = hostWithGuest();
    expect(hToken).not.toBe(gToken);
    const late = conn();
    rooms.join(late, "r1", "late", "L", null);
    const lToken = late.takeJson()[0].payload.resume_token;
    expect(new Set([hToken, gToken, lToken]).size).toBe(3);
    const broadcasts = [...h.take(), ...g.take()];
    expect(broadcasts.length).toBe(4); // client_joined + participants_update to each
    for (const f of broadcasts) for (const tok of [hToken, gToken, lToken]) expect(f).not.toContain(tok);
    rooms.control(h, { type: "player_event", payload: { action: "play", position: 1 } }, null);
    rooms.leave(g);
    for (const f of [...late.take(), ...h.take()]) for (const tok of [hToken, gToken, lToken]) expect(f).not.toContain(tok);
    // the same socket asking for its own room again gets its own token again
    rooms.join(late, "r1", "late", "L", null);
    expect(late.takeJson()[0].payload.resume_token).toBe(lToken);
  });

  test("taking a seated id without its token (or with another seat's) is forbidden; the seat is untouched", () => {
    const { h, g, gToken } = hostWithGuest();
    const thief = conn();
    for (const bad of [null, "", gToken, "tok-guess"]) {
      const f = rooms.join(thief, "r1", "host", "Mallory", bad);
      expect(f?.code).toBe("forbidden");
      expect(f?.message).toContain("resume_token");
    }
    expect(h.closedWith).toBeNull();
    expect(thief.sent).toEqual([]);
    expect(rooms.get("r1")!.hostId).toBe("host");
    expect(rooms.get("r1")!.participants.get("host")!.conn).toBe(h);
    expect(h.take()).toEqual([]);
    expect(g.take()).toEqual([]);
    expect(rooms.canControl(h)).toBeNull();
  });

  test("a refused take-over leaves the socket in the room it was in", () => {
    const { g } = hostWithGuest();
    const other = conn();
    rooms.create(other, args({ room: "r2", clientId: "o" }));
    other.takeJson();
    expect(rooms.join(g, "r2", "o", "G", null)?.code).toBe("forbidden");
    expect(rooms.roomOf(g)?.id).toBe("r1");
    expect(other.take()).toEqual([]);
  });

  test("a token is bound to its room and seat; a seat that ended takes its token with it", () => {
    const { h, g, gToken } = hostWithGuest();
    expect(rooms.resumes(conn(), rooms.get("r1")!, "g", gToken)).toBe(true);
    expect(rooms.resumes(conn(), rooms.get("r1")!, "host", gToken)).toBe(false);
    expect(rooms.resumes(g, rooms.get("r1")!, "g", null)).toBe(true); // the seat's own socket
    rooms.leave(g);
    h.take();
    expect(rooms.isBound(rooms.get("r1")!, "g")).toBe(false);
    expect(rooms.resumes(conn(), rooms.get("r1")!, "g", gToken)).toBe(false);
    // the freed id is an ordinary join again, with a fresh token; the stale one is ignored
    const g2 = conn();
    expect(rooms.join(g2, "r1", "g", "G", gToken)).toBeNull();
    expect(g2.takeJson()[0].payload.resume_token).not.toBe(gToken);
    expect(types(h)).toEqual(["client_joined", "participants_update"]);
  });

});

describe("limits (docs/syncparty.md#limits)", () => {
  test("rooms one connection created count against it until they are gone; then it may create again", () => {
    make({ roomsPerConn: 2, graceMs: 1000 });
    const c = conn();
    expect(rooms.create(c, args({ room: "a" }))).toBeNull();
    expect(rooms.create(c, args({ room: "b" }))).toBeNull(); // leaves a (empty: in its grace period)
    expect(rooms.create(c, args({ room: "c" }))?.code).toBe("forbidden");
    expect(rooms.get("c")).toBeUndefined();
    expect(rooms.create(conn(), args({ room: "c", clientId: "other" }))).toBeNull(); // another connection may
    clock.advance(1000); // a's grace period ends: it is removed
    expect(rooms.get("a")).toBeUndefined();
    expect(rooms.create(c, args({ room: "d" }))).toBeNull();
  });

  test("rooms in total, grace-period rooms included", () => {
    make({ maxRooms: 2 });
    expect(rooms.create(conn(), args({ room: "a", clientId: "x" }))).toBeNull();
    expect(rooms.create(conn(), args({ room: "b", clientId: "y" }))).toBeNull();
    const f = rooms.create(conn(), args({ room: "c", clientId: "z" }));
    expect(f?.code).toBe("forbidden");
    expect(f?.message).toContain("maximum of 2 rooms");
    // Joining an existing room is not a new room.
    expect(rooms.join(conn(), "a", "w", "W", null)).toBeNull();
  });
});

