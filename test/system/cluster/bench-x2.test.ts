// A tiny run of the X2 bench scenario (docs/bench.md#several-nodes), so that it keeps working: a
// receiver's buzz measured on one node, and on two nodes over a real Redis.
import { expect, test } from "bun:test";
import { runX2, x2Table } from "../../../scripts/bench/scenarios/x2.ts";

test("X2: a buzz reaches a client on one node and on both nodes of two, every press measured", async () => {
  const r = await runX2(8);
  for (const l of [r.one, r.onA, r.onB]) {
    expect(l.n).toBe(8);
    expect(l.p50).toBeGreaterThan(0);
  }
  expect(x2Table(r).length).toBe(5);
}, 60_000);
