// Comparing a presented secret with the configured one without leaking, through timing, how much
// of it matched. Pure.
import { timingSafeEqual } from "node:crypto";

/** True when `given` is a string equal to `want`. An empty `want` never matches (no secret set). */
export function sameSecret(given: unknown, want: string): boolean {
  if (typeof given !== "string" || want === "") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time independent of a.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(b, b), false);
}

/** 128 random bits as 32 hex digits. */
export const randomSecret = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
