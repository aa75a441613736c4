// Test tokens, signed the way an operator's issuer would (HS256 with jose).
import { SignJWT, type JWTPayload } from "jose";

/** Sign claims; `exp` is seconds from nowMs (null: no exp at all). */
export function signToken(secret: string, claims: JWTPayload, expInS: number | null, nowMs = Date.now()): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(Math.floor(nowMs / 1000));
  if (expInS !== null) jwt = jwt.setExpirationTime(Math.floor(nowMs / 1000) + expInS);
  return jwt.sign(new TextEncoder().encode(secret));
}
