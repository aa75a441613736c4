// Keeps the cross-node benchmark (docs/bench.md#x1-across-nodes) from rotting: one tiny run of
// each layout (one node; two nodes and Redis, phones on one node; across the two nodes) through the
// scenario's own child processes. No timings are asserted: only that every phone got every frame.
import { expect, test } from "bun:test";
import { x1 } from "../../../scripts/bench/scenarios/x1.ts";

test("X1: every layout delivers every play_sound to every member", async () => {
  const section = await x1({ reps: 1, quick: true, ns: [10], paths: ["metronome"] });
  const rows = section.lines.filter((l) => l.startsWith("| agreeing clocks"));
  expect(rows).toHaveLength(6); // 3 layouts × closed and open
  for (const layout of ["one node", "two nodes, same node", "two nodes, across"]) expect(rows.filter((r) => r.includes(`| ${layout} |`))).toHaveLength(2);
  for (const r of rows) expect(r.trim().endsWith("| 100% |")).toBe(true);
}, 120_000);
