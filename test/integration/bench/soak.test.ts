// The soak script works (docs/bench.md#soak): a short run, 20 s with 500 connections over every
// endpoint and its churn, against the real server in its own process. No timing is asserted:
// only that every protocol carried traffic, every message arrived once and in order, the churn
// happened, the server held the connections, its RSS was sampled, and it stopped cleanly.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runJson } from "../../../scripts/lib/spawn.ts";
import type { SoakResult } from "../../../scripts/bench/soak/report.ts";

describe("soak, short mode", () => {
  test("500 connections for 20 s: nothing lost, duplicated or reordered on any protocol", async () => {
    const script = join(import.meta.dir, "../../../scripts/bench/soak.ts");
    // runJson throws (with the script's own report on stderr) when the run failed.
    const r = await runJson<SoakResult>([process.execPath, script, "--seconds", "20", "--connections", "500", "--churn", "20", "--warmup", "5", "--json"], 120_000);
    expect(r.protocols.map((p) => p.name)).toEqual(["metronome", "watch party", "clicker", "socket.io", "buzzer"]);
    for (const p of r.protocols) {
      expect(p.received).toBeGreaterThan(100);
      expect({ name: p.name, lost: p.lost, duplicated: p.duplicated, reordered: p.reordered, faults: p.faults }).toEqual({ name: p.name, lost: 0, duplicated: 0, reordered: 0, faults: {} });
      expect(p.connects).toBeGreaterThan(0); // churned in…
      expect(p.disconnects).toBeGreaterThan(0); // … and out
      for (const l of Object.values(p.lat)) expect(l.n).toBeGreaterThan(0);
    }
    const held = Object.values(r.serverConnections).reduce((a, b) => a + b, 0);
    expect(held).toBeGreaterThanOrEqual(480); // the server counted them (churn moves a few)
    expect(r.churn.connects).toBeGreaterThan(200);
    expect(Number.isFinite(r.rss.slopeMiBPerMin)).toBe(true);
    expect(r.serverExit).toBe(0);
    expect(r.ok).toBe(true);
  }, 150_000);
});
