// Integration: the permission matrix (PROTOCOLS.md §2 "Authentication"; docs/syncparty.md table),
// with a JWT secret and audience configured, and without any secret.
import { describe, expect, test } from "bun:test";
import { freshRoomId, useParty } from "./party-client.ts";
import { signToken } from "../../unit/syncparty/tokens.ts";

const SECRET = "integration-secret";
const AUD = "watch-party";
const roomId = () => freshRoomId("auth-room");
/** A valid login for this sub (the client id it names). */
const valid = (sub: string, claims: object = {}) => signToken(SECRET, { aud: AUD, sub, ...claims }, 600);

describe("with --jwt-secret and --jwt-audience", () => {
  const { party } = useParty({ jwtSecret: SECRET, jwtAudience: AUD });

  /** A room made by a properly authenticated host. */
  const hostRoom = async (options: object = {}) => {
    const room = roomId();
    const h = await party("host");
    await h.create(room, { auth_token: await valid("host"), options });
    return { room, h };
  };

  test("create_room: no token, expired, wrong signature, wrong audience, no exp, an invite", async () => {
    const c = await party("c");
    const room = roomId();
    const cases: [string | undefined, string][] = [
      [undefined, "auth_required"],
      [await signToken(SECRET, { aud: AUD }, -3600), "token_expired"],
      [await signToken("not-the-secret", { aud: AUD }, 600), "token_invalid"],
      [await signToken(SECRET, { aud: "another-app" }, 600), "token_invalid"],
      [await signToken(SECRET, { aud: AUD }, null), "token_invalid"],
      ["garbage", "token_invalid"],
      [await signToken(SECRET, { aud: AUD, type: "invite", room }, 600), "forbidden"],
    ];
    for (const [auth_token, code] of cases) {
      c.send("create_room", room, { name: "C", auth_token });
      await c.expectError(code);
    }
    // valid, but without sub (the client id), or for another sub than the envelope's client
    c.send("create_room", room, { name: "C", auth_token: await signToken(SECRET, { aud: AUD }, 600) });
    await c.expectError("token_invalid");
    c.send("create_room", room, { name: "C", auth_token: await valid("someone-else") });
    await c.expectError("bad_request");
    // expired less than 60 s ago is still inside the leeway
    await c.create(room, { auth_token: await signToken(SECRET, { aud: AUD, sub: "c" }, -30) });
  });

  test("join_room: an auth token or an invite; everything else refused", async () => {
    const { room } = await hostRoom();
    const g = await party("g");
    g.send("join_room", room, { name: "G" });
    await g.expectError("auth_required");
    g.send("join_room", room, { auth_token: await signToken(SECRET, { aud: AUD }, -3600) });
    await g.expectError("token_expired");
    g.send("join_room", room, { auth_token: await signToken("wrong", { aud: AUD }, 600) });
    await g.expectError("token_invalid");
    g.send("join_room", room, { auth_token: await signToken(SECRET, { aud: "nope" }, 600) });
    await g.expectError("token_invalid");
    // auth errors come before room_missing: unauthenticated clients cannot probe room ids
    g.send("join_room", "no-such-room", {});
    await g.expectError("auth_required");
    g.send("join_room", "no-such-room", { auth_token: await valid("g") });
    await g.expectError("room_missing");
    await g.join(room, { auth_token: await valid("g") });
  });

  test("invites: for the right room, the wrong room, forged, from a guest", async () => {
    const { room, h } = await hostRoom();
    h.send("create_invite", room, { expires_in: 300 });
    const inv = await h.expect("invite_created");
    expect(typeof inv.payload.invite_token).toBe("string");
    expect(inv.payload.expires_at).toBeGreaterThan(Date.now() + 290_000);
    expect(inv.payload.expires_at).toBeLessThanOrEqual(Date.now() + 301_000);
    const other = await hostRoomOther();
    const g = await party("guest");
    g.send("join_room", other, { invite_token: inv.payload.invite_token });
    await g.expectError("invite_room_mismatch");
    g.send("join_room", room, { invite_token: await signToken("forger", { type: "invite", room }, 600) });
    await g.expectError("invite_invalid");
    g.send("join_room", room, { invite_token: await signToken(SECRET, { type: "invite", room }, -3600) });
    await g.expectError("invite_invalid");
    g.send("join_room", room, { invite_token: await valid("guest") });
    await g.expectError("forbidden"); // a login token is not an invite
    await g.join(room, { invite_token: inv.payload.invite_token });
    g.send("create_invite", room, {});
    await g.expectError("not_host");
  });
  const hostRoomOther = async () => (await hostRoom()).room;

  test("a private room needs an invite even from an authenticated user", async () => {
    const { room, h } = await hostRoom({ private: true });
    const g = await party("g");
    g.send("join_room", room, { auth_token: await valid("g") });
    await g.expectError("invite_required");
    h.send("create_invite", room, { expires_in: 60 });
    const { invite_token } = (await h.expect("invite_created")).payload;
    await g.join(room, { invite_token });
  });
});

describe("without a secret", () => {
  const { party } = useParty();

  test("anyone creates and joins; tokens are not looked at", async () => {
    const room = roomId();
    const h = await party("h");
    await h.create(room, { auth_token: "whatever" });
    const g = await party("g");
    await g.join(room, { auth_token: "not-a-jwt" });
  });

  test("private rooms: invite_required, invite for another room, forged invite, valid invite", async () => {
    const room = roomId();
    const h = await party("h");
    await h.create(room, { options: { private: true } });
    const room2 = roomId();
    const h2 = await party("h2");
    await h2.create(room2, { options: { private: true } });
    h2.send("create_invite", room2, {});
    const wrong = (await h2.expect("invite_created")).payload.invite_token;
    const g = await party("g");
    g.send("join_room", room, { name: "G" });
    await g.expectError("invite_required");
    g.send("join_room", room, { invite_token: wrong });
    await g.expectError("invite_room_mismatch");
    g.send("join_room", room, { invite_token: await signToken("guessed-key", { type: "invite", room }, 600) });
    await g.expectError("invite_invalid");
    h.send("create_invite", room, { expires_in: 60 });
    const { invite_token } = (await h.expect("invite_created")).payload;
    const rs = await g.join(room, { invite_token });
    expect(rs.payload.options).toEqual({ private: true });
    // the host's tab reloads: its seat's resume_token is its admission, no invite needed
    const reloaded = await party("h");
    reloaded.send("join_room", room, {});
    await reloaded.expectError("invite_required");
    expect((await reloaded.join(room, { resume_token: h.resumeToken })).payload.host_id).toBe("h");
    expect((await h.ws.waitClose()).code).toBe(4001);
  });
});
