import { beforeEach, describe, expect, test } from "bun:test";
import type { Login, TokenAuth } from "../../../src/protocols/syncparty/auth.ts";
import type { Fail } from "../../../src/protocols/syncparty/errors.ts";
import { PartyRooms } from "../../../src/protocols/syncparty/state.ts";
import { PartyDispatch, type Viewer } from "../../../src/protocols/syncparty/dispatch.ts";
import { FakeClock, FakeConn, FakeHub } from "../../helpers/fakes.ts";

/** Token checks that stay pending until the test settles them. A valid login's sub is `sub`. */
class ManualAuth implements TokenAuth {
  required = true;
  sub = "h";
  pending: { token: string; resolve: (f: Fail | null) => void }[] = [];
  verifyAuth(token: string) {
    return new Promise<Fail | Login>((resolve) => this.pending.push({ token, resolve: (f) => resolve(f ?? { sub: this.sub }) }));
  }
  verifyInvite(token: string) {
    return new Promise<Fail | null>((resolve) => this.pending.push({ token, resolve }));
  }
  async signInvite(room: string, s: number) {
    return { token: `invite:${room}:${s}`, expiresAt: 0 };
  }
  settle(f: Fail | null = null) {
    this.pending.shift()!.resolve(f);
  }
}

let clock: FakeClock;
let hub: FakeHub;
let rooms: PartyRooms;
let auth: ManualAuth;
let sessions: PartyDispatch;
const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  clock = new FakeClock();
  hub = new FakeHub();
  let t = 0;
  rooms = new PartyRooms({ clock, topics: hub, graceMs: 1000, maxRooms: 1000, roomsPerConn: 1000, maxParticipants: 10, newRoomId: () => "gen", newResumeToken: () => `tok${++t}` });
  auth = new ManualAuth();
  sessions = new PartyDispatch({ rooms, auth, clock, maxOptionsBytes: 4096 });
});
const open = () => {
  const c = new FakeConn<Viewer>(hub);
  c.state = sessions.open(c);
  return c;
};
const send = (c: FakeConn<Viewer>, m: object | string) => sessions.message(c.state, typeof m === "string" ? m : JSON.stringify(m));

describe("sessions", () => {
  test("messages behind a pending token check are handled after it, in order", async () => {
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h", payload: { auth_token: "t" } });
    send(h, { type: "player_event", room: "r", client: "h", payload: { action: "play", position: 1 } });
    send(h, { type: "ping", client: "h", payload: { client_ts: 7 } });
    expect(h.sent).toEqual([]);
    auth.settle(null);
    await flush();
    const got = h.takeJson();
    expect(got.map((m) => m.type)).toEqual(["room_state", "pong"]); // the play was accepted silently
    expect(rooms.get("r")!.playState).toBe("playing");
  });

  test("a queued create/join that needs another check keeps the rest in order", async () => {
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h", payload: { auth_token: "t" } });
    send(h, { type: "leave_room", client: "h" });
    // the room it left waits for its host, so coming back takes that seat's token (the first one made)
    send(h, { type: "join_room", room: "r", client: "h", payload: { auth_token: "t2", resume_token: "tok1" } });
    send(h, { type: "ping", client: "h", payload: { client_ts: 1 } });
    auth.settle(null);
    await flush();
    expect(auth.pending.map((p) => p.token)).toEqual(["t2"]);
    expect(h.takeJson().map((m) => m.type)).toEqual(["room_state"]);
    auth.settle(null);
    await flush();
    expect(h.takeJson().map((m) => m.type)).toEqual(["room_state", "pong"]);
  });

  test("a socket that closes while its check is pending never takes a seat", async () => {
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h", payload: { auth_token: "t" } });
    sessions.close(h.state);
    auth.settle(null);
    await flush();
    expect(rooms.get("r")).toBeUndefined();
    expect(rooms.participantCount).toBe(0);
  });

  test("a refused token is the error reply; the socket stays unbound", async () => {
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h", payload: { auth_token: "bad" } });
    auth.settle({ code: "token_invalid", message: "no" });
    await flush();
    expect(h.takeJson()).toEqual([{ type: "error", room: "r", client: "h", payload: { code: "token_invalid", message: "no" }, ts: clock.now(), server_ts: clock.now() }]);
    send(h, { type: "create_room", room: "r", client: "other", payload: {} });
    expect(h.takeJson()[0].payload.code).toBe("auth_required");
  });

  test("binding: another client id on a bound socket is bad_request; an omitted one is the bound id", async () => {
    auth.required = false;
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h", payload: { name: "H" } });
    const g = open();
    send(g, { type: "join_room", room: "r", client: "g", payload: {} });
    h.takeJson();
    g.takeJson();
    send(g, { type: "player_event", room: "r", client: "h", payload: { action: "play", position: 0 } });
    expect(g.takeJson()[0]).toMatchObject({ type: "error", client: "g", payload: { code: "bad_request" } });
    expect(rooms.get("r")!.playState).toBe("paused");
    send(h, { type: "player_event", payload: { action: "play", position: 0 } });
    expect(g.takeJson()[0]).toMatchObject({ type: "player_event", room: "r", client: "h" });
  });

  test("room-bound messages before joining: bad_request without a room, room_missing or not_host/forbidden naming one", () => {
    auth.required = false;
    const c = open();
    const ctl = { action: "play", position: 1, play_state: "playing" };
    for (const t of ["player_event", "state_update", "create_invite"]) {
      send(c, { type: t, client: "c", payload: ctl });
      expect(c.takeJson()[0].payload.code).toBe("bad_request");
      send(c, { type: t, room: "r", client: "c", payload: ctl });
      expect(c.takeJson()[0].payload.code).toBe("room_missing");
    }
    send(c, { type: "leave_room", client: "c" });
    expect(c.takeJson()[0].payload.code).toBe("bad_request");
    send(c, { type: "join_room", room: "r", payload: {} });
    expect(c.takeJson()[0].payload).toEqual({ code: "bad_request", message: "client is required" });
    const o = open();
    send(o, { type: "create_room", room: "other", client: "o", payload: {} });
    send(c, { type: "create_room", room: "r", client: "c" });
    c.takeJson();
    send(c, { type: "state_update", room: "elsewhere", payload: { position: 1, play_state: "playing" } });
    expect(c.takeJson()[0].payload.code).toBe("room_missing");
    send(c, { type: "state_update", room: "other", payload: { position: 1, play_state: "playing" } });
    expect(c.takeJson()[0].payload.code).toBe("not_host");
    send(c, { type: "create_invite", room: "other", payload: {} });
    expect(c.takeJson()[0].payload.code).toBe("not_host");
  });

  test("create_invite: host only, even with free_play", async () => {
    auth.required = false;
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h", payload: { options: { free_play: true, theme: "dark" } } });
    expect(h.takeJson()[0].payload.options).toEqual({ free_play: true, theme: "dark" });
    const g = open();
    send(g, { type: "join_room", room: "r", client: "g", payload: {} });
    g.takeJson();
    send(g, { type: "create_invite", payload: {} });
    expect(g.takeJson()[0].payload.code).toBe("not_host");
    h.takeJson();
    send(h, { type: "create_invite", payload: { expires_in: 90 } });
    await flush();
    expect(h.takeJson()[0]).toMatchObject({ type: "invite_created", room: "r", client: "h", payload: { invite_token: "invite:r:90" } });
  });

  test("a private room asks for an invite even without a secret", async () => {
    auth.required = false;
    const h = open();
    send(h, { type: "create_room", room: "p", client: "h", payload: { options: { private: true } } });
    const g = open();
    send(g, { type: "join_room", room: "p", client: "g", payload: { auth_token: "valid-but-irrelevant" } });
    expect(g.takeJson()[0].payload.code).toBe("invite_required");
    send(g, { type: "join_room", room: "p", client: "g", payload: { invite_token: "i" } });
    auth.settle(null);
    await flush();
    const tokens = { h: h.takeJson()[0].payload.resume_token, g: g.takeJson()[0].payload.resume_token };
    expect(tokens.g).toBe("tok2");
    // the same socket asking again is its own seat: no invite, no token
    send(g, { type: "join_room", room: "p", client: "g", payload: {} });
    expect(g.takeJson()[0].type).toBe("room_state");
    // a seat's resume token stands in for the invite: the guest's and the host's tabs reload
    for (const id of ["g", "h"] as const) {
      const squatter = open();
      send(squatter, { type: "join_room", room: "p", client: id, payload: {} });
      expect(squatter.takeJson()[0].payload.code).toBe("invite_required");
      send(squatter, { type: "join_room", room: "p", client: id, payload: { resume_token: "tok9" } });
      expect(squatter.takeJson()[0].payload.code).toBe("invite_required");
      const again = open();
      send(again, { type: "join_room", room: "p", client: id, payload: { resume_token: tokens[id] } });
      expect(again.takeJson()[0].payload).toMatchObject({ resume_token: tokens[id] });
    }
    expect(g.closedWith?.code).toBe(4001);
    expect(h.closedWith?.code).toBe(4001);
    expect(auth.pending).toEqual([]);
    // an invite holder still cannot take a bound id without its token
    const x = open();
    send(x, { type: "join_room", room: "p", client: "g", payload: { invite_token: "i" } });
    auth.settle(null);
    await flush();
    expect(x.takeJson()[0].payload.code).toBe("forbidden");
    expect(rooms.get("p")!.participants.size).toBe(2);
  });

  test("with a secret the auth token's sub is the client id: absent envelope client → sub, another one → bad_request", async () => {
    const h = open();
    send(h, { type: "create_room", room: "r", payload: { auth_token: "t" } });
    auth.settle(null);
    await flush();
    expect(h.takeJson()[0]).toMatchObject({ type: "room_state", client: "h", payload: { host_id: "h" } });
    auth.sub = "mallory";
    const g = open();
    send(g, { type: "create_room", room: "r2", client: "g", payload: { auth_token: "t" } });
    auth.settle(null);
    await flush();
    expect(g.takeJson()[0].payload).toEqual({ code: "bad_request", message: "client g is not the auth_token's sub" });
    expect(rooms.get("r2")).toBeUndefined();
    send(g, { type: "join_room", room: "r", client: "g", payload: { auth_token: "t" } });
    auth.settle(null);
    await flush();
    expect(g.takeJson()[0].payload.code).toBe("bad_request");
    // a socket bound by an invite keeps its id: a login for another sub does not change it
    send(g, { type: "join_room", room: "r", client: "g", payload: { invite_token: "i" } });
    auth.settle(null);
    await flush();
    expect(g.takeJson()[0]).toMatchObject({ type: "room_state", client: "g" });
    send(g, { type: "join_room", room: "r", payload: { auth_token: "t" } });
    auth.settle(null);
    await flush();
    expect(g.takeJson()[0].payload).toMatchObject({ code: "bad_request", message: "client g is not the auth_token's sub" });
    // a valid token for the host's sub still needs the host seat's resume token
    auth.sub = "h";
    const thief = open();
    send(thief, { type: "join_room", room: "r", payload: { auth_token: "t" } });
    auth.settle(null);
    await flush();
    expect(thief.takeJson()[0]).toMatchObject({ client: "h", payload: { code: "forbidden" } }); // the id it was refused
    expect(h.closedWith).toBeNull();
    // an invite without an envelope client names nobody
    send(thief, { type: "join_room", room: "r", payload: { invite_token: "i" } });
    expect(thief.takeJson()[0].payload).toEqual({ code: "bad_request", message: "client is required" });
  });

  test("with a secret, a private room: a valid login plus the seat's resume token needs no invite", async () => {
    const h = open();
    send(h, { type: "create_room", room: "p", client: "h", payload: { auth_token: "t", options: { private: true } } });
    auth.settle(null);
    await flush();
    const token = h.takeJson()[0].payload.resume_token;
    const back = open();
    send(back, { type: "join_room", room: "p", client: "h", payload: { auth_token: "t" } });
    auth.settle(null);
    await flush();
    expect(back.takeJson()[0].payload.code).toBe("invite_required");
    send(back, { type: "join_room", room: "p", client: "h", payload: { auth_token: "t", resume_token: token } });
    auth.settle(null);
    await flush();
    expect(back.takeJson()[0]).toMatchObject({ type: "room_state", payload: { resume_token: token } });
    expect(h.closedWith?.code).toBe(4001);
    expect(auth.pending).toEqual([]);
  });

  test("a failure after an await is a bug: handed to the seam (1011 and a log line), nothing after it runs", async () => {
    auth.required = false;
    auth.signInvite = () => Promise.reject(new Error("key store gone"));
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h" });
    h.takeJson();
    send(h, { type: "create_invite", payload: {} });
    send(h, { type: "ping", payload: { client_ts: 3 } });
    await flush();
    expect(h.faults.map((e) => (e as Error).message)).toEqual(["key store gone"]);
    expect(h.closedWith).toEqual({ code: 1011, reason: "internal error" });
    expect(h.takeJson()).toEqual([]);
  });

  test("rate_limited reply is the error envelope with the bound ids", () => {
    auth.required = false;
    const h = open();
    send(h, { type: "create_room", room: "r", client: "h" });
    expect(JSON.parse(sessions.rateLimited(h.state))).toMatchObject({ type: "error", room: "r", client: "h", payload: { code: "rate_limited" } });
    expect(h.faults).toEqual([]);
  });
});
