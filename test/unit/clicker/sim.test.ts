// The simulator's pure parts (scripts/clicker-sim.ts): its percentiles and its arguments. The run
// against the real server is in test/integration/clicker/sim.test.ts.
import { describe, expect, test } from "bun:test";
import { parseSimArgs, percentiles } from "../../../scripts/clicker-sim.ts";

describe("scripts/clicker-sim.ts", () => {
  test("percentiles use the nearest rank", () => {
    const p = percentiles(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect([p.n, p.p50, p.p95, p.p99, p.max]).toEqual([100, 50, 95, 99, 100]);
    expect(percentiles([]).n).toBe(0);
  });

  test("arguments are checked", () => {
    expect(parseSimArgs(["--clickers", "3", "--rate", "2.5", "--seconds", "1"])).toMatchObject({ clickers: 3, rate: 2.5, seconds: 1, flood: 0 });
    expect(() => parseSimArgs(["--rate", "0"])).toThrow();
    expect(() => parseSimArgs(["--bogus"])).toThrow();
  });
});
