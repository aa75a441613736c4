// A state_update that carries only some fields (docs/syncparty.md#playback-control): the codec
// accepts it when the fields it has are well-typed, and the room changes only those fields.
import { beforeEach, describe, expect, test } from "bun:test";
import { decode } from "../../../src/protocols/syncparty/codec.ts";
import { PartyRooms } from "../../../src/protocols/syncparty/state.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

const frame = (payload: unknown) => JSON.stringify({ type: "state_update", room: "r1", client: "host", payload, ts: 5 });
const codeOf = (payload: unknown) => {
  const d = decode(frame(payload));
  return d.ok ? null : d.fail.code;
};

describe("state_update codec: partial payloads", () => {
  test("a payload without position and play_state is accepted with its fields as sent", () => {
    const d = decode(frame({ reported_latency: 2 }));
    expect(d.ok).toBe(true);
    if (d.ok) expect(d.msg as unknown).toEqual({ type: "state_update", room: "r1", client: "host", ts: 5, payload: { reported_latency: 2 } });
    for (const p of [{}, { position: 3 }, { play_state: "paused" }, { position: null, play_state: null }, { reported_latency: null }]) expect(codeOf(p)).toBeNull();
  });

  test("a field it has that is ill-typed is bad_request", () => {
    for (const p of [{ position: "3" }, { position: -1 }, { play_state: "buffering", reported_latency: 2 }, { play_state: 1 }, { position: 1, play_state: "stopped" }]) {
      expect(codeOf(p)).toBe("bad_request");
    }
  });
});

describe("state_update rules: only the fields it has change", () => {
  let clock: FakeClock;
  let hub: FakeHub;
  let rooms: PartyRooms;
  let h: FakeConn;
  let g: FakeConn;
  beforeEach(() => {
    clock = new FakeClock();
    hub = new FakeHub();
    rooms = new PartyRooms({ clock, topics: hub, graceMs: 30000, maxRooms: 1000, roomsPerConn: 1000, maxParticipants: 100, newRoomId: () => "gen", newResumeToken: () => "tok" });
    h = new FakeConn(hub);
    g = new FakeConn(hub);
    rooms.create(h, { room: "r1", clientId: "host", name: "H", mediaUrl: "m.mp4", startPos: 0, options: {}, resumeToken: null });
    rooms.join(g, "r1", "g", "G", null);
    h.take();
    g.take();
  });
  const r = () => rooms.get("r1")!;

  test("{reported_latency} alone changes nothing and is relayed as sent", () => {
    rooms.control(h, { type: "player_event", payload: { action: "play", position: 10 } }, 1);
    g.take();
    clock.advance(2000);
    expect(rooms.control(h, { type: "state_update", payload: { reported_latency: 2 } as never }, 77)).toBeNull();
    expect(g.takeJson()).toEqual([{ type: "state_update", room: "r1", client: "host", payload: { reported_latency: 2 }, ts: 77, server_ts: clock.now() }]);
    expect(h.take()).toEqual([]);
    // The extrapolation base is untouched: still 10 s at the play, now 2 s later.
    expect(r().playState).toBe("playing");
    expect(rooms.positionOf(r())).toBe(12);
    clock.advance(500);
    expect(rooms.positionOf(r())).toBe(12.5);
  });

  test("position alone keeps the play state; play_state alone keeps the position where it is now", () => {
    rooms.control(h, { type: "state_update", payload: { position: 30 } }, null);
    expect([r().position, r().playState]).toEqual([30, "paused"]);
    rooms.control(h, { type: "state_update", payload: { play_state: "playing" } }, null);
    clock.advance(1500);
    expect(rooms.positionOf(r())).toBe(31.5);
    // Pausing without a position freezes the video where it is playing now.
    rooms.control(h, { type: "state_update", payload: { play_state: "paused" } }, null);
    clock.advance(10_000);
    expect([rooms.positionOf(r()), r().playState]).toEqual([31.5, "paused"]);
    // Null is "not given", as for every optional field.
    rooms.control(h, { type: "state_update", payload: { position: null, play_state: null } }, null);
    expect([rooms.positionOf(r()), r().playState]).toEqual([31.5, "paused"]);
    rooms.control(h, { type: "state_update", payload: { position: 4, play_state: "playing" } }, null);
    clock.advance(1000);
    expect(rooms.positionOf(r())).toBe(5);
  });

  test("the permission rule is the same as for a full update", () => {
    expect(rooms.control(g, { type: "state_update", payload: { reported_latency: 2 } as never }, null)?.code).toBe("not_host");
    expect(h.take()).toEqual([]);
  });
});
