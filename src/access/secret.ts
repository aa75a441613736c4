// Comparing a presented secret with the real one without leaking, through timing, how much of it
// matched or even how long it is: both sides are hashed and the digests compared in constant
// time. Pure.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when `given` is a string equal to `want`. An empty or missing `want` never matches (no secret set). */
export function sameSecret(given: unknown, want: string | null | undefined): boolean {
  if (typeof given !== "string" || !want) return false;
  return timingSafeEqual(digest(given), digest(want));
}

/** A check against one configured secret, its digest computed once; null when none is configured. */
export function secretCheck(secret: string): ((given: unknown) => boolean) | null {
  if (!secret) return null;
  const want = digest(secret);
  return (given) => typeof given === "string" && timingSafeEqual(digest(given), want);
}

/** 128 random bits as 32 hex digits. */
export const randomSecret = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
