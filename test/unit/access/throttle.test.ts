// Unit tests of the per-key failure throttle on a fake clock.
import { beforeEach, describe, expect, test } from "bun:test";
import { defaultThrottle, Throttle } from "../../../src/access/throttle.ts";
import { FakeClock } from "../../helpers/fakes.ts";

let clock: FakeClock;
let t: Throttle;
const failTimes = (key: string, n: number) => {
  for (let i = 0; i < n; i++) t.fail(key);
};

beforeEach(() => {
  clock = new FakeClock();
  t = new Throttle(clock);
});

describe("delay", () => {
  test("the first five failures in a minute cost nothing; then 250 ms, doubling, capped at 30 s", () => {
    for (let i = 0; i < 5; i++) {
      expect(t.attempt("a")).toBe(0);
      t.fail("a");
    }
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const w = t.attempt("a");
      waits.push(w);
      clock.advance(w); // answered after its wait, then refused
      t.fail("a");
    }
    // The ninth wait starts 61.75 s in: by then the first failures have left the window, so an
    // attacker who keeps going gets about a dozen tries a minute.
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 250, 500]);
  });

  test("the wait stays at the cap while failures keep coming", () => {
    t = new Throttle(clock, { ...defaultThrottle, maxDelayMs: 1000 });
    failTimes("a", 5);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const w = t.attempt("a");
      waits.push(w);
      clock.advance(w);
      t.fail("a");
    }
    expect(waits).toEqual([250, 500, 1000, 1000, 1000, 1000, 1000, 1000]);
  });

  test("keys are independent; a key that never failed is not tracked", () => {
    failTimes("a", 7);
    expect(t.delay("a")).toBe(1000);
    expect(t.attempt("b")).toBe(0);
    expect(t.delay("b")).toBe(0);
    expect(t.size()).toBe(1);
  });

  test("the window slides: failures older than a minute stop counting", () => {
    failTimes("a", 3);
    clock.advance(30_000);
    failTimes("a", 3);
    expect(t.failures("a")).toBe(6);
    expect(t.delay("a")).toBe(500);
    clock.advance(30_000); // the first three are now exactly a minute old
    expect(t.failures("a")).toBe(3);
    expect(t.attempt("a")).toBe(0);
    clock.advance(30_000);
    expect(t.failures("a")).toBe(0);
  });

  test("delay() only reads; attempt() reserves its wait", () => {
    failTimes("a", 5);
    expect(t.delay("a")).toBe(250);
    expect(t.delay("a")).toBe(250);
    expect(t.attempt("a")).toBe(250);
  });
});

describe("spacing", () => {
  test("attempts that arrive together are answered one step apart, not all at once", () => {
    failTimes("a", 6); // step 500
    expect([t.attempt("a"), t.attempt("a"), t.attempt("a")]).toEqual([500, 1000, 1500]);
    clock.advance(700);
    expect(t.attempt("a")).toBe(1300); // after the one answered at 1500
    clock.advance(10_000); // all answered; a new attempt waits one step from now
    expect(t.attempt("a")).toBe(500);
  });
});

describe("memory", () => {
  test("failures kept per key are bounded; the count saturates where the delay is capped", () => {
    failTimes("a", 1000);
    expect(t.failures("a")).toBeLessThanOrEqual(20);
    expect(t.delay("a")).toBe(defaultThrottle.maxDelayMs);
  });

  test("keys with nothing left in the window are forgotten when others fail", () => {
    for (let i = 0; i < 50; i++) t.fail(`old-${i}`);
    clock.advance(60_001);
    t.fail("new");
    expect(t.size()).toBe(1);
  });

  test("past maxKeys the least recently failed key is forgotten", () => {
    t = new Throttle(clock, { ...defaultThrottle, maxKeys: 3 });
    for (const k of ["a", "b", "c"]) failTimes(k, 6);
    t.fail("a"); // a is now the most recent
    t.fail("d");
    expect(t.size()).toBe(3);
    expect(t.failures("b")).toBe(0);
    expect(t.failures("a")).toBe(7);
    expect(t.failures("c")).toBe(6);
  });
});
