// Conformance, watch-party seats (docs/syncparty.md#seats-and-resume-tokens): each attack on a
// seat is refused over the real server, and the flows seats exist for still work: a reloading
// tab and a host back in the grace period, each with its resume_token. Black-box over real
// sockets, without a secret and with --jwt-secret.
import { describe, expect, test } from "bun:test";
import { signJwt } from "../../helpers/jwt.ts";
import { type Msg, type Peer, roomName, useHarness } from "../../helpers/clients/syncparty.ts";

const GRACE_MS = 2000;
const TOKEN = /^[0-9a-f]{32}$/;
/** A well-formed token nobody was given. */
const guess = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");

/** Everything p has received so far, drained (each frame envelope-checked). */
async function drain(p: Peer): Promise<Msg[]> {
  const got: Msg[] = [];
  while (p.ws.inbox.length > 0) got.push(await p.next());
  return got;
}

/** Every frame up to and including the first that matches. */
async function collectUntil(p: Peer, last: (m: Msg) => boolean): Promise<Msg[]> {
  const got: Msg[] = [];
  for (;;) {
    const m = await p.next();
    got.push(m);
    if (last(m)) return got;
  }
}

/** The room as a newcomer sees it (the newcomer then leaves again). */
async function seen(H: ReturnType<typeof useHarness>, id: string, payload: object = {}): Promise<Msg> {
  const v = await H.peer("viewer-" + roomName("v"));
  const s = await v.join(id, payload);
  v.send("leave_room", id);
  return s;
}

describe("seats without a secret", () => {
  const H = useHarness({ roomGraceMs: GRACE_MS });

  test("every seat gets its own 128-bit resume_token in its own room_state, never in anything sent to others", async () => {
    const id = roomName("seat");
    const h = await H.peer("h");
    const hs = await h.create(id);
    const g = await H.peer("g");
    const gs = await g.join(id);
    const tokens = [hs.payload.resume_token, gs.payload.resume_token];
    for (const t of tokens) expect(t).toMatch(TOKEN);
    expect(tokens[0]).not.toBe(tokens[1]);
    // joins, control, a reload and a leave: the others' frames never carry a token
    h.send("player_event", id, { action: "play", position: 1 });
    const g2 = await H.peer("g");
    await g2.join(id, { resume_token: g.resumeToken });
    const x = await H.peer("x");
    await x.join(id);
    x.send("leave_room", id);
    const toHost = await collectUntil(h, (m) => m.type === "client_left" && m.client === "x");
    toHost.push(await h.expect("participants_update"));
    expect(toHost.map((m) => m.type)).toEqual(["client_joined", "participants_update", "client_joined", "participants_update", "client_left", "participants_update"]);
    const toGuest = await collectUntil(g2, (m) => m.type === "client_left");
    toGuest.push(await g2.expect("participants_update"), ...(await drain(g)));
    for (const m of [...toHost, ...toGuest]) for (const t of tokens) expect(JSON.stringify(m)).not.toContain(t);
    expect(Object.keys(toHost.at(-1)!.payload).sort()).toEqual(["participant_count", "participants"]);
  });

  test("attack: a guest reads host_id and joins with it on a second socket → forbidden; the host keeps its seat", async () => {
    const id = roomName("seat");
    const h = await H.peer("h");
    await h.create(id);
    const g = await H.peer("g");
    const hostId = (await g.join(id)).payload.host_id as string;
    await h.expect("client_joined");
    await h.expect("participants_update");
    const thief = await H.peer(hostId);
    for (const resume_token of [undefined, null, "", guess(), g.resumeToken]) {
      thief.send("join_room", id, { name: "Mallory", resume_token });
      const e = await thief.expectError("forbidden");
      expect(e.payload.message).toContain("resume_token");
    }
    // nothing happened: the host's socket is open, nobody was told, the host still controls
    expect(h.ws.closed).toBeNull();
    expect(await h.quiet()).toBe(true);
    expect(await g.quiet(10)).toBe(true);
    h.send("player_event", id, { action: "play", position: 7 });
    expect(await g.expect("player_event")).toMatchObject({ client: "h", payload: { action: "play", position: 7 } });
    thief.send("player_event", id, { action: "pause", position: 0 });
    await thief.expectError("not_host"); // the refused socket holds no seat at all
    const s = await seen(H, id);
    expect(s.payload.host_id).toBe("h");
    expect(s.payload.participants.slice(0, 2)).toEqual([
      { client_id: "h", name: "h", is_host: true },
      { client_id: "g", name: "g", is_host: false },
    ]);
    // the same attack through create_room: the room exists
    thief.send("create_room", id, { resume_token: guess() });
    await thief.expectError("room_exists");
  });

  test("allowed: a reloading tab with its resume_token replaces its old socket (4001) and keeps seat and token", async () => {
    const id = roomName("seat");
    const h = await H.peer("h");
    await h.create(id);
    const g = await H.peer("g");
    await g.join(id);
    const token = h.resumeToken;
    let old = h;
    for (let reload = 0; reload < 2; reload++) {
      const tab = await H.peer("h");
      const s = await tab.join(id, { resume_token: token });
      expect((await old.ws.waitClose()).code).toBe(4001);
      expect(s.payload).toMatchObject({ host_id: "h", resume_token: token, participant_count: 2 });
      tab.send("player_event", id, { action: "seek", position: 10 + reload });
      expect((await g.until("player_event")).payload.position).toBe(10 + reload);
      old = tab;
    }
  });

  test("attack: the host's id while the room waits for it in the grace period → forbidden by join and by create", async () => {
    const id = roomName("seat");
    const h = await H.peer("h");
    await h.create(id, { media_url: "kept.mp4" });
    h.close();
    await h.ws.waitClose();
    const thief = await H.peer("h");
    for (const type of ["join_room", "create_room"]) {
      thief.send(type, id, { media_url: "evil.mp4" });
      await thief.expectError("forbidden");
      thief.send(type, id, { resume_token: guess() });
      await thief.expectError("forbidden");
    }
    // the room still waits for its host: it comes back with its token
    const back = await H.peer("h");
    const s = await back.create(id, { media_url: "ignored.mp4", resume_token: h.resumeToken });
    expect(s.payload).toMatchObject({ host_id: "h", media_url: "kept.mp4", resume_token: h.resumeToken });
  });

  test("allowed: the host back in the grace period with its resume_token gets its room back, by join_room too", async () => {
    const id = roomName("seat");
    const h = await H.peer("h");
    await h.create(id, { start_pos: 42 });
    h.close();
    await h.ws.waitClose();
    const back = await H.peer("h");
    const s = await back.join(id, { resume_token: h.resumeToken });
    expect(s.payload).toMatchObject({ host_id: "h", state: { position: 42, play_state: "paused" }, resume_token: h.resumeToken });
    const g = await H.peer("g");
    await g.join(id);
    back.send("player_event", id, { action: "play", position: 42 });
    expect((await g.expect("player_event")).client).toBe("h");
  });

  test("a freed id is no seat: after its seat left, anyone may use it, and the stale token is ignored", async () => {
    const id = roomName("seat");
    const h = await H.peer("h");
    await h.create(id);
    const g = await H.peer("g");
    await g.join(id);
    const stale = g.resumeToken;
    g.close();
    await h.until("participants_update");
    const again = await H.peer("g");
    const s = await again.join(id, { resume_token: stale });
    expect(s.payload.resume_token).toMatch(TOKEN);
    expect(s.payload.resume_token).not.toBe(stale);
  });

  test("attack: a private room refuses the squatter (no invite: invite_required; someone's invite: forbidden)", async () => {
    const id = roomName("priv");
    const h = await H.peer("h");
    await h.create(id, { options: { private: true } });
    h.send("create_invite", id, {});
    const { invite_token } = (await h.expect("invite_created")).payload;
    const g = await H.peer("g");
    await g.join(id, { invite_token });
    await h.expect("client_joined");
    await h.expect("participants_update");
    for (const victim of ["h", "g"]) {
      const squatter = await H.peer(victim);
      squatter.send("join_room", id, {});
      await squatter.expectError("invite_required");
      squatter.send("join_room", id, { resume_token: guess() });
      await squatter.expectError("invite_required");
      squatter.send("join_room", id, { invite_token }); // a leaked invite link
      await squatter.expectError("forbidden");
    }
    expect(h.ws.closed).toBeNull();
    expect(g.ws.closed).toBeNull();
    expect(await h.quiet()).toBe(true);
    // a new id with no invite is refused; with the invite it is an ordinary guest
    const stranger = await H.peer("stranger");
    stranger.send("join_room", id, {});
    await stranger.expectError("invite_required");
    await stranger.join(id, { invite_token });
    // the seats themselves come back with their tokens and no invite
    const gTab = await H.peer("g");
    await gTab.join(id, { resume_token: g.resumeToken });
    expect((await g.ws.waitClose()).code).toBe(4001);
    h.close();
    await gTab.until("host_change");
    // the host left others behind: its id is free, and in a private room free ids need an invite
    const hTab = await H.peer("h");
    hTab.send("join_room", id, { resume_token: h.resumeToken });
    await hTab.expectError("invite_required");
  });

  test("private room in its grace period: the squatter is refused, the host with its resume_token walks back in", async () => {
    const id = roomName("priv");
    const h = await H.peer("h");
    await h.create(id, { options: { private: true } });
    h.send("create_invite", id, {});
    const { invite_token } = (await h.expect("invite_created")).payload;
    h.close();
    await h.ws.waitClose();
    const squatter = await H.peer("h");
    squatter.send("join_room", id, {});
    await squatter.expectError("invite_required");
    squatter.send("join_room", id, { invite_token });
    await squatter.expectError("forbidden");
    squatter.send("create_room", id, { options: { private: true } });
    await squatter.expectError("forbidden");
    const back = await H.peer("h");
    expect((await back.join(id, { resume_token: h.resumeToken })).payload.host_id).toBe("h");
  });
});

describe("seats with --jwt-secret: the token's sub is the client id", () => {
  const SECRET = "seats-secret";
  const H = useHarness({ jwtSecret: SECRET, roomGraceMs: GRACE_MS });
  const login = (sub: string | null) => signJwt(SECRET, sub === null ? {} : { sub }, 600);

  test("attack: a valid token for another sub cannot take the host's seat", async () => {
    const id = roomName("jwt");
    const h = await H.peer("h");
    await h.create(id, { auth_token: await login("h") });
    const m = await H.peer("h"); // claims the host's id with her own valid login
    m.send("join_room", id, { auth_token: await login("mallory") });
    const e = await m.expectError("bad_request");
    expect(e.payload.message).toContain("sub");
    m.send("join_room", id, { auth_token: await login("mallory"), resume_token: h.resumeToken });
    await m.expectError("bad_request"); // even a stolen resume token does not change whose token it is
    m.send("create_room", id, { auth_token: await login("mallory") });
    await m.expectError("bad_request");
    // a valid token without sub names nobody
    m.send("join_room", id, { auth_token: await login(null) });
    await m.expectError("token_invalid");
    expect(h.ws.closed).toBeNull();
    expect(await h.quiet()).toBe(true);
    // leaving client out, her token seats her as herself, a guest
    m.raw({ type: "join_room", room: id, payload: { auth_token: await login("mallory") } });
    const s = await m.expect("room_state");
    expect(s.client).toBe("mallory");
    expect(s.payload.host_id).toBe("h");
    expect((await h.expect("client_joined")).client).toBe("mallory");
    m.raw({ type: "player_event", room: id, payload: { action: "play", position: 1 } });
    await m.expectError("not_host");
    m.raw({ type: "ping", client: "h", payload: { client_ts: 1 } }); // bound to her sub now
    await m.expectError("bad_request");
  });

  test("attack: the right sub or an invite is still no seat without the resume_token", async () => {
    const id = roomName("jwt");
    const h = await H.peer("h");
    await h.create(id, { auth_token: await login("h") });
    h.send("create_invite", id, {});
    const { invite_token } = (await h.expect("invite_created")).payload;
    const other = await H.peer("h"); // e.g. the same login on a second device
    other.send("join_room", id, { auth_token: await login("h") });
    await other.expectError("forbidden");
    const guest = await H.peer("h"); // joining by invite keeps the envelope id, which is bound
    guest.send("join_room", id, { invite_token });
    await guest.expectError("forbidden");
    expect(h.ws.closed).toBeNull();
    // with it, the same user's new tab takes the seat over
    const tab = await H.peer("h");
    const s = await tab.join(id, { auth_token: await login("h"), resume_token: h.resumeToken });
    expect(s.payload).toMatchObject({ host_id: "h", resume_token: h.resumeToken });
    expect((await h.ws.waitClose()).code).toBe(4001);
  });

  test("allowed: the host's sub back in the grace period with its resume_token re-creates its room", async () => {
    const id = roomName("jwt");
    const h = await H.peer("h");
    h.raw({ type: "create_room", room: id, payload: { auth_token: await login("h"), start_pos: 5 } }); // client from sub
    const first = await h.expect("room_state");
    expect(first.client).toBe("h");
    const token = first.payload.resume_token;
    h.close();
    await h.ws.waitClose();
    const back = await H.peer("h");
    back.send("create_room", id, { auth_token: await login("h") });
    await back.expectError("forbidden");
    const s = await back.create(id, { auth_token: await login("h"), resume_token: token });
    expect(s.payload).toMatchObject({ host_id: "h", state: { position: 5 }, resume_token: token });
  });
});
