// JWTs for the watch-party tests, signed with jose the way an operator's issuer would (HS256
// unless told otherwise).
import { SignJWT, type JWTPayload } from "jose";

export const nowS = () => Math.floor(Date.now() / 1000);
export const keyOf = (secret: string) => new TextEncoder().encode(secret);

/**
 * Sign claims with secret. `expOffsetS` is seconds from now (null: no exp claim at all); `nowMs`
 * is the signer's clock (a fake clock's, in unit tests), also used for iat.
 */
export function signJwt(secret: string, claims: JWTPayload, expOffsetS: number | null, opts: { alg?: string; nowMs?: number } = {}): Promise<string> {
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  let j = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? "HS256", typ: "JWT" }).setIssuedAt(now);
  if (expOffsetS !== null) j = j.setExpirationTime(now + expOffsetS);
  return j.sign(keyOf(secret));
}
