// The per-connection refusal counter (docs/common.md#rate-limit): refusals past the burst, then
// the close if they go on; refusals forgiven after a quiet window. Pure, on explicit timestamps.
import { describe, expect, test } from "bun:test";
import { RateLimiter } from "../../../src/transport/rate.ts";

describe("RateLimiter (common rule: reply, then 1008 if it continues)", () => {
  test("a burst is allowed, then refusals, then close after another burst's worth", () => {
    const r = new RateLimiter(10, 5, 0);
    const verdicts = Array.from({ length: 11 }, () => r.check(0));
    expect(verdicts.slice(0, 5)).toEqual(Array(5).fill("ok"));
    expect(verdicts.slice(5, 10)).toEqual(Array(5).fill("refuse"));
    expect(verdicts[10]).toBe("close");
  });

  test("a client pacing itself above the sustained rate is still closed", () => {
    const r = new RateLimiter(10, 5, 0);
    let t = 0;
    let verdict = "ok";
    // 20 messages/s against a limit of 10/s: some get through, the refusals still add up.
    for (let i = 0; i < 200 && verdict !== "close"; i++) verdict = r.check((t += 50));
    expect(verdict).toBe("close");
  });

  test("refusals are forgiven after a quiet window", () => {
    const r = new RateLimiter(10, 5, 0);
    for (let i = 0; i < 9; i++) r.check(0); // 5 ok, 4 refused
    expect(r.check(2000)).toBe("ok"); // bucket refilled
    for (let i = 0; i < 4; i++) r.check(2000);
    // the earlier strikes were forgiven: the next refusals start a new count
    expect(r.check(2000)).toBe("refuse");
  });
});
