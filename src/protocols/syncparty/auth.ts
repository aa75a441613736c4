// Watch-party tokens (docs/syncparty.md#authentication-and-invites): HS256 JWTs checked with jose.
// Auth tokens come from the operator's issuer (signed with --jwt-secret); invites are minted
// here: {type:"invite", room, exp}, signed with the secret, or with a per-process random key
// when no secret is set (private rooms). Time comes from the injected Clock.
import type { JWTPayload } from "jose";
import type { Clock } from "../../transport/types.ts";
import { fail, type Fail } from "./errors.ts";

export interface AuthOptions {
  secret: string;
  audience: string;
  issuer: string;
  clock: Clock;
}

/** A valid login token: its `sub` is the client id (docs/syncparty.md#authentication-and-invites). */
export interface Login {
  sub: string;
}

/** What the session needs from token handling; unit tests may substitute their own. */
export interface TokenAuth {
  /** True when --jwt-secret is set: create needs an auth token, join a token or an invite. */
  readonly required: boolean;
  verifyAuth(token: string): Promise<Fail | Login>;
  verifyInvite(token: string, roomId: string): Promise<Fail | null>;
  signInvite(roomId: string, expiresInS: number): Promise<{ token: string; expiresAt: number }>;
}

/** The contract's leeway on exp (and nbf), in seconds. */
export const CLOCK_TOLERANCE_S = 60;
const ALG = "HS256";

/** jose is loaded with the first token: a server that never sees one does not pay its memory (docs/bench.md#start-up). */
let joseModule: Promise<typeof import("jose")> | null = null;
const jose = () => (joseModule ??= import("jose"));

export class JwtAuth implements TokenAuth {
  readonly required: boolean;
  private readonly authKey: Uint8Array;
  private readonly inviteKey: Uint8Array;

  constructor(private readonly opts: AuthOptions) {
    this.required = opts.secret !== "";
    this.authKey = new TextEncoder().encode(opts.secret);
    this.inviteKey = this.required ? this.authKey : crypto.getRandomValues(new Uint8Array(32));
  }

  private async verify(token: string, key: Uint8Array, claims: { audience?: string; issuer?: string }): Promise<JWTPayload | "expired" | "invalid"> {
    const { errors, jwtVerify } = await jose();
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        requiredClaims: ["exp"],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.opts.clock.now()),
        ...claims,
      });
      return payload;
    } catch (err) {
      // Every failure is the client's token, never a server fault: malformed, bad signature,
      // other algorithm, missing exp, wrong aud/iss, nbf in the future.
      return err instanceof errors.JWTExpired ? "expired" : "invalid";
    }
  }

  /**
   * A login token. Valid but of the wrong kind (an invite) → forbidden. Its `sub` becomes the
   * client id, so a token without a usable one (a string of 1–128 characters, like any client
   * id) is token_invalid: otherwise any valid token could claim any seat.
   */
  async verifyAuth(token: string): Promise<Fail | Login> {
    const v = await this.verify(token, this.authKey, {});
    if (v === "expired") return fail("token_expired", "auth_token has expired");
    const invalid = fail("token_invalid", "auth_token is not a valid token for this server");
    if (v === "invalid") return invalid;
    // The kind is judged before aud/iss: our own invites carry neither, and a genuine token of
    // the wrong kind is forbidden whatever the audience settings (docs/syncparty.md#errors).
    if (v.type === "invite") return fail("forbidden", "an invite cannot be used as auth_token");
    if (this.opts.audience || this.opts.issuer) {
      const claims = { audience: this.opts.audience || undefined, issuer: this.opts.issuer || undefined };
      if ((await this.verify(token, this.authKey, claims)) === "invalid") return invalid;
    }
    const sub = v.sub;
    if (typeof sub !== "string" || sub === "" || sub.length > 128) return fail("token_invalid", "auth_token has no sub (1-128 characters) to use as the client id");
    return { sub };
  }

  /** An invite for roomId. Expired or bad → invite_invalid; another room → invite_room_mismatch. */
  async verifyInvite(token: string, roomId: string): Promise<Fail | null> {
    const v = await this.verify(token, this.inviteKey, {});
    if (v === "expired") return fail("invite_invalid", "invite_token has expired");
    if (v === "invalid") return fail("invite_invalid", "invite_token is not a valid invite");
    if (v.type !== "invite") return fail("forbidden", "invite_token is not an invite");
    if (v.room !== roomId) return fail("invite_room_mismatch", "invite_token is for another room");
    return null;
  }

  /**
   * invite_created: exp is whole seconds (JWT NumericDate), rounded up so the invite lives at
   * least expires_in and expires_at is never already past; expiresAt is the same instant in ms.
   */
  async signInvite(roomId: string, expiresInS: number): Promise<{ token: string; expiresAt: number }> {
    const { SignJWT } = await jose();
    const exp = Math.ceil(this.opts.clock.now() / 1000 + expiresInS);
    const token = await new SignJWT({ type: "invite", room: roomId })
      .setProtectedHeader({ alg: ALG, typ: "JWT" })
      .setIssuedAt(Math.floor(this.opts.clock.now() / 1000))
      .setExpirationTime(exp)
      .sign(this.inviteKey);
    return { token, expiresAt: exp * 1000 };
  }
}
