// Authentication and invites (docs/syncparty.md#authentication-and-invites): real HS256 JWTs
// signed here with jose, a server with --jwt-secret/--jwt-audience/--jwt-issuer, and a server
// without a secret (private rooms). Black-box over real sockets.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { keyOf, nowS, signJwt } from "../../helpers/jwt.ts";
import { harness, roomName, useHarness } from "../../helpers/clients/syncparty.ts";

const SECRET = "conformance-secret-🔑";
const AUD = "party-aud";
const ISS = "https://issuer.test";
/** An HS256 JWT signed with SECRET unless told otherwise; expOffsetS relative to now (null: no exp). */
const jwt = (claims: JWTPayload, expOffsetS: number | null, opts: { secret?: string; alg?: string } = {}) =>
  signJwt(opts.secret ?? SECRET, claims, expOffsetS, { alg: opts.alg });
const key = keyOf;
/** A login for sub, which is the client id it may use. */
const login = (sub: string, extra: JWTPayload = {}, exp: number | null = 600) => jwt({ sub, aud: AUD, iss: ISS, ...extra }, exp);
/** An unsigned token (alg none), which must never pass. */
const unsigned = (claims: object) =>
  `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;

describe("with --jwt-secret, --jwt-audience, --jwt-issuer", () => {
  const H = useHarness({ jwtSecret: SECRET, jwtAudience: AUD, jwtIssuer: ISS });

  const hosted = async (options: object = {}) => {
    const id = roomName("auth");
    const h = await H.peer("h");
    await h.create(id, { auth_token: await login("h"), options });
    return { id, h };
  };

  test("create_room: every kind of bad auth_token gets its code; the socket stays open and usable", async () => {
    const c = await H.peer("c");
    const id = roomName("auth");
    const cases: [unknown, string][] = [
      [undefined, "auth_required"],
      ["", "auth_required"],
      [await login("c", {}, -3600), "token_expired"],
      [await login("c", {}, -90), "token_expired"],
      [await jwt({ aud: AUD, iss: ISS }, 600, { secret: "wrong-secret" }), "token_invalid"],
      [await jwt({ aud: "other-aud", iss: ISS }, 600), "token_invalid"],
      [await jwt({ iss: ISS }, 600), "token_invalid"], // aud configured but absent
      [await jwt({ aud: AUD, iss: "https://evil.test" }, 600), "token_invalid"],
      [await jwt({ aud: AUD }, 600), "token_invalid"], // iss configured but absent
      [await login("c", {}, null), "token_invalid"], // no exp
      [await jwt({ aud: AUD, iss: ISS }, 600, { alg: "HS512" }), "token_invalid"],
      [unsigned({ aud: AUD, iss: ISS, exp: nowS() + 600 }), "token_invalid"],
      ["not.a.jwt", "token_invalid"],
      [await jwt({ type: "invite", room: id }, 600), "forbidden"], // an invite is not a login
    ];
    for (const [auth_token, code] of cases) {
      c.send("create_room", id, { name: "C", auth_token });
      const e = await c.expectError(code);
      expect(e.client).toBe("c");
    }
    c.send("create_room", id, { name: "C", auth_token: 12345 });
    await c.expectError("bad_request");
    // valid but without sub, or with an empty one: no client id to bind → token_invalid
    for (const claims of [{}, { sub: "" }]) {
      c.send("create_room", id, { name: "C", auth_token: await jwt({ aud: AUD, iss: ISS, ...claims }, 600) });
      await c.expectError("token_invalid");
    }
    // valid, for another sub than the envelope's client → bad_request
    c.send("create_room", id, { name: "C", auth_token: await login("someone-else") });
    expect((await c.expectError("bad_request")).payload.message).toContain("sub");
    // expired 30 s ago: inside the 60 s leeway
    const s = await c.create(id, { auth_token: await login("c", {}, -30) });
    expect(s.payload.host_id).toBe("c");
  });

  test("join_room: auth_token checks as for create; a valid one admits", async () => {
    const { id, h } = await hosted();
    const g = await H.peer("g");
    for (const [auth_token, code] of [
      [undefined, "auth_required"],
      [await login("g", {}, -3600), "token_expired"],
      [await jwt({ aud: AUD, iss: ISS }, 600, { secret: "nope" }), "token_invalid"],
      [await jwt({ aud: "x", iss: ISS }, 600), "token_invalid"],
      [await jwt({ aud: AUD, iss: "x" }, 600), "token_invalid"],
      [await login("g", {}, null), "token_invalid"],
    ] as [string | undefined, string][]) {
      g.send("join_room", id, { name: "G", auth_token });
      await g.expectError(code);
    }
    expect(await h.quiet()).toBe(true);
    await g.join(id, { auth_token: await login("g", {}, -45) });
    expect((await h.expect("client_joined")).payload).toEqual({ name: "g" });
  });

  test("a valid token is still needed for a missing room: room_missing only once admitted", async () => {
    const g = await H.peer("g");
    // auth errors come before room_missing: unauthenticated clients cannot probe room ids
    g.send("join_room", "nowhere-" + roomName(), {});
    await g.expectError("auth_required");
    g.send("join_room", "nowhere-" + roomName(), { auth_token: await login("g") });
    await g.expectError("room_missing");
  });

  test("create_invite → invite_created {invite_token, expires_at}: a JWT {type:'invite', room, exp} signed with the secret", async () => {
    const { id, h } = await hosted();
    h.send("create_invite", id, { expires_in: 120 });
    const m = await h.expect("invite_created");
    expect(m.room).toBe(id);
    expect(m.client).toBe("h");
    expect(Object.keys(m.payload).sort()).toEqual(["expires_at", "invite_token"]);
    const { invite_token, expires_at } = m.payload;
    expect(decodeProtectedHeader(invite_token).alg).toBe("HS256");
    const { payload } = await jwtVerify(invite_token, key(SECRET));
    expect(payload.type).toBe("invite");
    expect(payload.room).toBe(id);
    expect(Math.abs(payload.exp! - (nowS() + 120))).toBeLessThanOrEqual(2);
    expect(expires_at).toBe(payload.exp! * 1000); // epoch ms, the unit of server_ts
    // the invite admits a guest without any auth token, and may be reused (a reload)
    const g = await H.peer("g");
    await g.join(id, { invite_token });
    const g2 = await H.peer("g2");
    await g2.join(id, { invite_token });
    // a sub-second lifetime still yields an expiry in the future, not one already past
    const t0 = Date.now();
    h.send("create_invite", id, { expires_in: 0.2 });
    expect((await h.until("invite_created")).payload.expires_at).toBeGreaterThanOrEqual(t0 + 200);
  });

  test("invites: another room → invite_room_mismatch; forged, expired, garbage → invite_invalid", async () => {
    const { id } = await hosted();
    const { id: other, h: h2 } = await hosted();
    h2.send("create_invite", other, {});
    const otherInvite = (await h2.expect("invite_created")).payload.invite_token;
    const g = await H.peer("g");
    for (const [invite_token, code] of [
      [otherInvite, "invite_room_mismatch"],
      [await jwt({ type: "invite", room: other }, 600), "invite_room_mismatch"],
      [await jwt({ type: "invite", room: id }, 600, { secret: "forged" }), "invite_invalid"],
      [await jwt({ type: "invite", room: id }, -3600), "invite_invalid"],
      [await jwt({ type: "invite", room: id }, null), "invite_invalid"],
      [unsigned({ type: "invite", room: id, exp: nowS() + 600 }), "invite_invalid"],
      ["garbage", "invite_invalid"],
      [await login("g"), "forbidden"], // a login token is not an invite
    ] as [string, string][]) {
      g.send("join_room", id, { name: "G", invite_token });
      await g.expectError(code);
    }
    // an invite minted by the operator with the shared secret is as good as the server's own
    await g.join(id, { invite_token: await jwt({ type: "invite", room: id }, 600) });
  });

  test("join_room: a valid auth_token admits even if an unusable invite_token rides along", async () => {
    const { id } = await hosted();
    const g = await H.peer("g");
    await g.join(id, { auth_token: await login("g"), invite_token: "stale-or-garbage" });
  });

  test("create_invite is host-only: a guest gets not_host", async () => {
    const { id, h } = await hosted({ free_play: true });
    const g = await H.peer("g");
    await g.join(id, { auth_token: await login("g") });
    await h.expect("client_joined");
    await h.expect("participants_update");
    g.send("create_invite", id, {});
    await g.expectError("not_host");
    for (const expires_in of [0, -5, "60"]) {
      h.send("create_invite", id, { expires_in });
      await h.expectError("bad_request");
    }
  });

  test("private room with a secret: an auth_token alone → invite_required; an invite admits", async () => {
    const { id, h } = await hosted({ private: true });
    const g = await H.peer("g");
    g.send("join_room", id, { auth_token: await login("g") });
    await g.expectError("invite_required");
    h.send("create_invite", id, {});
    const { invite_token } = (await h.expect("invite_created")).payload;
    await g.join(id, { invite_token });
  });
});

describe("without a server secret", () => {
  const H = useHarness({});

  test("normal rooms ignore tokens entirely", async () => {
    const id = roomName("open");
    const h = await H.peer("h");
    await h.create(id, { auth_token: "garbage" });
    const g = await H.peer("g");
    await g.join(id, { auth_token: "garbage", invite_token: "garbage" });
  });

  test("options.private: invite-only with invites signed by a per-process key", async () => {
    const id = roomName("priv");
    const h = await H.peer("h");
    const s = await h.create(id, { options: { private: true } });
    expect(s.payload.options).toEqual({ private: true });
    const g = await H.peer("g");
    g.send("join_room", id, { name: "G" });
    await g.expectError("invite_required");
    g.send("join_room", id, { name: "G", invite_token: "garbage" });
    await g.expectError("invite_invalid");
    // the guessable empty-secret key does not sign valid invites
    const forged = await new SignJWT({ type: "invite", room: id }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new Uint8Array(32));
    g.send("join_room", id, { name: "G", invite_token: forged });
    await g.expectError("invite_invalid");
    h.send("create_invite", id, { expires_in: 60 });
    const m = await h.expect("invite_created");
    expect(typeof m.payload.invite_token).toBe("string");
    expect(m.payload.expires_at).toBeGreaterThan(Date.now());
    await g.join(id, { invite_token: m.payload.invite_token });
    await h.expect("client_joined");
    // an invite for this room does not open another private room
    const other = roomName("priv");
    const h2 = await H.peer("h2");
    await h2.create(other, { options: { private: true } });
    const x = await H.peer("x");
    x.send("join_room", other, { invite_token: m.payload.invite_token });
    await x.expectError("invite_room_mismatch");
    // the host's tab reloads: its seat's resume_token is its admission, no invite needed
    const reloaded = await H.peer("h");
    reloaded.send("join_room", id, {});
    await reloaded.expectError("invite_required");
    expect((await reloaded.join(id, { resume_token: h.resumeToken })).payload.host_id).toBe("h");
    expect((await h.ws.waitClose()).code).toBe(4001);
  });
});

describe("private rooms without a secret: the invite key belongs to one server process", () => {
  const A = harness({});
  const B = harness({});
  beforeAll(async () => {
    await A.boot();
    await B.boot();
  });
  afterAll(async () => {
    await A.stop();
    await B.stop();
  });
  afterEach(() => {
    A.cleanup();
    B.cleanup();
  });

  test("an invite minted by another server instance is invite_invalid", async () => {
    const id = roomName("twin");
    const ha = await A.peer("h");
    const hb = await B.peer("h");
    await ha.create(id, { options: { private: true } });
    await hb.create(id, { options: { private: true } });
    ha.send("create_invite", id, {});
    const fromA = (await ha.expect("invite_created")).payload.invite_token;
    const g = await B.peer("g");
    g.send("join_room", id, { invite_token: fromA });
    await g.expectError("invite_invalid");
  });
});
