// HS256 JWTs for the conformance tests, signed with jose the way an operator's issuer would.
import { SignJWT, type JWTPayload } from "jose";

export const nowS = () => Math.floor(Date.now() / 1000);
export const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** Sign claims with secret; expOffsetS is relative to now (null: no exp claim at all). */
export function signJwt(secret: string, claims: JWTPayload, expOffsetS: number | null, alg = "HS256"): Promise<string> {
  let j = new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).setIssuedAt();
  if (expOffsetS !== null) j = j.setExpirationTime(nowS() + expOffsetS);
  return j.sign(keyOf(secret));
}
