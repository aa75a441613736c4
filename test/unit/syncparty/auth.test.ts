import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { JwtAuth } from "../../../src/protocols/syncparty/auth.ts";
import { FakeClock } from "../../helpers/fakes.ts";
import { signJwt } from "../../helpers/jwt.ts";

const SECRET = "unit-secret";
/** The failure code, or "ok:<sub>" for a valid login. */
const outcome = (v: { code: string } | { sub: string }) => ("code" in v ? v.code : `ok:${v.sub}`);
const make = (over: Partial<{ secret: string; audience: string; issuer: string }> = {}) => {
  const clock = new FakeClock();
  return { clock, auth: new JwtAuth({ secret: SECRET, audience: "", issuer: "", clock, ...over }) };
};

describe("syncparty auth tokens", () => {
  test("valid, expired, within the 60 s leeway, missing exp", async () => {
    const { clock, auth } = make();
    const now = clock.now();
    expect(auth.required).toBe(true);
    expect(await auth.verifyAuth(await signJwt(SECRET, { sub: "u" }, 600, { nowMs: now }))).toEqual({ sub: "u" });
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u" }, -30, { nowMs: now })))).toBe("ok:u");
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u" }, -61, { nowMs: now })))).toBe("token_expired");
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u" }, null, { nowMs: now })))).toBe("token_invalid");
  });

  test("expiry follows the injected clock", async () => {
    const { clock, auth } = make();
    const t = await signJwt(SECRET, { sub: "u" }, 10, { nowMs: clock.now() });
    expect(outcome(await auth.verifyAuth(t))).toBe("ok:u");
    clock.advance(69_000);
    expect(outcome(await auth.verifyAuth(t))).toBe("ok:u");
    clock.advance(2_000);
    expect(outcome(await auth.verifyAuth(t))).toBe("token_expired");
  });

  test("wrong signature, garbage, another algorithm are token_invalid", async () => {
    const { clock, auth } = make();
    expect(outcome(await auth.verifyAuth(await signJwt("other", { sub: "u" }, 600, { nowMs: clock.now() })))).toBe("token_invalid");
    expect(outcome(await auth.verifyAuth("not.a.jwt"))).toBe("token_invalid");
    expect(outcome(await auth.verifyAuth(""))).toBe("token_invalid");
    const hs512 = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "HS512" }).setExpirationTime(Math.floor(clock.now() / 1000) + 600).sign(new TextEncoder().encode(SECRET));
    expect(outcome(await auth.verifyAuth(hs512))).toBe("token_invalid");
  });

  test("audience and issuer are checked only when configured", async () => {
    const { clock, auth } = make({ audience: "party", issuer: "login" });
    const now = clock.now();
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u", aud: "party", iss: "login" }, 600, { nowMs: now })))).toBe("ok:u");
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u", aud: "other", iss: "login" }, 600, { nowMs: now })))).toBe("token_invalid");
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u", aud: "party", iss: "evil" }, 600, { nowMs: now })))).toBe("token_invalid");
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "u" }, 600, { nowMs: now })))).toBe("token_invalid");
    const open = make();
    expect(outcome(await open.auth.verifyAuth(await signJwt(SECRET, { sub: "u", aud: "anything" }, 600, { nowMs: now })))).toBe("ok:u");
  });

  test("forbidden: an invite as auth token; other claims than sub are the issuer's business", async () => {
    const { clock, auth } = make();
    const invite = (await auth.signInvite("r1", 60)).token;
    expect(outcome(await auth.verifyAuth(invite))).toBe("forbidden");
    expect(await auth.verifyAuth(await signJwt(SECRET, { sub: "user-7", role: "viewer" }, 600, { nowMs: clock.now() }))).toEqual({ sub: "user-7" });
  });

  test("sub is the client id: a valid token without a usable sub is token_invalid", async () => {
    const { clock, auth } = make();
    const now = clock.now();
    for (const sub of [undefined, "", "x".repeat(129)]) {
      const v = await auth.verifyAuth(await signJwt(SECRET, sub === undefined ? {} : { sub }, 600, { nowMs: now }));
      expect(v).toMatchObject({ code: "token_invalid" });
      expect((v as { message: string }).message).toContain("sub");
    }
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, { sub: "x".repeat(128) }, 600, { nowMs: now })))).toBe("ok:" + "x".repeat(128));
    // an expired or forged token without sub keeps its own, earlier error
    expect(outcome(await auth.verifyAuth(await signJwt(SECRET, {}, -3600, { nowMs: now })))).toBe("token_expired");
    expect(outcome(await auth.verifyAuth(await signJwt("other", {}, 600, { nowMs: now })))).toBe("token_invalid");
  });

  test("invites: right room, wrong room, expired, forged, an auth token", async () => {
    const { clock, auth } = make();
    const { token, expiresAt } = await auth.signInvite("r1", 120);
    expect(expiresAt).toBe(Math.floor(clock.now() / 1000 + 120) * 1000);
    expect(await auth.verifyInvite(token, "r1")).toBeNull();
    expect((await auth.verifyInvite(token, "r2"))?.code).toBe("invite_room_mismatch");
    expect((await auth.verifyInvite(await signJwt("x", { type: "invite", room: "r1" }, 60, { nowMs: clock.now() }), "r1"))?.code).toBe("invite_invalid");
    expect((await auth.verifyInvite(await signJwt(SECRET, { sub: "u" }, 60, { nowMs: clock.now() }), "r1"))?.code).toBe("forbidden");
    clock.advance((120 + 61) * 1000);
    expect((await auth.verifyInvite(token, "r1"))?.code).toBe("invite_invalid");
  });

  test("without a secret, invites use a per-process key that nobody else can sign with", async () => {
    const a = make({ secret: "" });
    const b = make({ secret: "" });
    expect(a.auth.required).toBe(false);
    const { token } = await a.auth.signInvite("r1", 60);
    expect(await a.auth.verifyInvite(token, "r1")).toBeNull();
    expect((await b.auth.verifyInvite(token, "r1"))?.code).toBe("invite_invalid");
    expect((await a.auth.verifyInvite(await signJwt("guess", { type: "invite", room: "r1" }, 60, { nowMs: a.clock.now() }), "r1"))?.code).toBe("invite_invalid");
  });
});
