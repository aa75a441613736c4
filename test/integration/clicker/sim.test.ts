// The simulator used by the docs and the benchmarks, run against the real server.
import { describe, expect, test } from "bun:test";
import { report, simulate } from "../../../scripts/clicker-sim.ts";
import { bootServer } from "../../helpers/server.ts";

describe("scripts/clicker-sim.ts", () => {
  test("clickers and a flood: every press acknowledged and on the scoreboard", async () => {
    const s = await bootServer({ rateLimit: 10_000, rateBurst: 10_000 });
    try {
      const ticks: number[] = [];
      const r = await simulate({ url: s.ws("/ws"), clickers: 4, rate: 10, seconds: 1, flood: 200, onTally: (_t, at) => ticks.push(at) });
      expect(r.clickers).toBe(5);
      expect(r.presses).toBe(4 * 10 + 200);
      expect(r.acked).toBe(r.presses);
      expect(r.broadcasts).toBe(r.presses);
      expect(r.tallyMatches).toBe(5);
      expect(r.errors).toEqual([]);
      expect([r.registerMs.n, r.scoredMs.n, r.floodScoredMs.n, r.broadcastMs.n]).toEqual([5, 40, 200, 240]);
      expect(ticks.length).toBeGreaterThan(0);
      expect(report(r)).toContain("SCORE→SCORED");
    } finally {
      await s.stop();
    }
  });
});
