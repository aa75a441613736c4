import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { JwtAuth } from "../../src/protocols/syncparty/auth.ts";
import { FakeClock } from "../helpers/fakes.ts";
import { signToken } from "./tokens.ts";

const SECRET = "unit-secret";
const make = (over: Partial<{ secret: string; audience: string; issuer: string }> = {}) => {
  const clock = new FakeClock();
  return { clock, auth: new JwtAuth({ secret: SECRET, audience: "", issuer: "", clock, ...over }) };
};

describe("syncparty auth tokens", () => {
  test("valid, expired, within the 60 s leeway, missing exp", async () => {
    const { clock, auth } = make();
    const now = clock.now();
    expect(auth.required).toBe(true);
    expect(await auth.verifyAuth(await signToken(SECRET, {}, 600, now))).toBeNull();
    expect(await auth.verifyAuth(await signToken(SECRET, {}, -30, now))).toBeNull();
    expect((await auth.verifyAuth(await signToken(SECRET, {}, -61, now)))?.code).toBe("token_expired");
    expect((await auth.verifyAuth(await signToken(SECRET, {}, null, now)))?.code).toBe("token_invalid");
  });

  test("expiry follows the injected clock", async () => {
    const { clock, auth } = make();
    const t = await signToken(SECRET, {}, 10, clock.now());
    expect(await auth.verifyAuth(t)).toBeNull();
    clock.advance(69_000);
    expect(await auth.verifyAuth(t)).toBeNull();
    clock.advance(2_000);
    expect((await auth.verifyAuth(t))?.code).toBe("token_expired");
  });

  test("wrong signature, garbage, another algorithm are token_invalid", async () => {
    const { clock, auth } = make();
    expect((await auth.verifyAuth(await signToken("other", {}, 600, clock.now())))?.code).toBe("token_invalid");
    expect((await auth.verifyAuth("not.a.jwt"))?.code).toBe("token_invalid");
    expect((await auth.verifyAuth(""))?.code).toBe("token_invalid");
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: "HS512" }).setExpirationTime(Math.floor(clock.now() / 1000) + 600).sign(new TextEncoder().encode(SECRET));
    expect((await auth.verifyAuth(hs512))?.code).toBe("token_invalid");
  });

  test("audience and issuer are checked only when configured", async () => {
    const { clock, auth } = make({ audience: "party", issuer: "login" });
    const now = clock.now();
    expect(await auth.verifyAuth(await signToken(SECRET, { aud: "party", iss: "login" }, 600, now))).toBeNull();
    expect((await auth.verifyAuth(await signToken(SECRET, { aud: "other", iss: "login" }, 600, now)))?.code).toBe("token_invalid");
    expect((await auth.verifyAuth(await signToken(SECRET, { aud: "party", iss: "evil" }, 600, now)))?.code).toBe("token_invalid");
    expect((await auth.verifyAuth(await signToken(SECRET, {}, 600, now)))?.code).toBe("token_invalid");
    const open = make();
    expect(await open.auth.verifyAuth(await signToken(SECRET, { aud: "anything" }, 600, now))).toBeNull();
  });

  test("forbidden: an invite as auth token; other claims are the issuer's business", async () => {
    const { clock, auth } = make();
    const invite = (await auth.signInvite("r1", 60)).token;
    expect((await auth.verifyAuth(invite))?.code).toBe("forbidden");
    expect(await auth.verifyAuth(await signToken(SECRET, { sub: "user-7", role: "viewer" }, 600, clock.now()))).toBeNull();
  });

  test("invites: right room, wrong room, expired, forged, an auth token", async () => {
    const { clock, auth } = make();
    const { token, expiresAt } = await auth.signInvite("r1", 120);
    expect(expiresAt).toBe(Math.floor(clock.now() / 1000 + 120) * 1000);
    expect(await auth.verifyInvite(token, "r1")).toBeNull();
    expect((await auth.verifyInvite(token, "r2"))?.code).toBe("invite_room_mismatch");
    expect((await auth.verifyInvite(await signToken("x", { type: "invite", room: "r1" }, 60, clock.now()), "r1"))?.code).toBe("invite_invalid");
    expect((await auth.verifyInvite(await signToken(SECRET, {}, 60, clock.now()), "r1"))?.code).toBe("forbidden");
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
    expect((await a.auth.verifyInvite(await signToken("guess", { type: "invite", room: "r1" }, 60, a.clock.now()), "r1"))?.code).toBe("invite_invalid");
  });
});
